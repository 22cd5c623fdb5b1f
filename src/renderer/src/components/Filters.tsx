import { EXPORT_LIMIT } from '@shared/api'
import { EVENT_STATUSES, type EventStatus } from '@shared/model'
import { useOutpost } from '../store'

function toStatusFilter(value: string): EventStatus | '' {
  return EVENT_STATUSES.find((status) => status === value) ?? ''
}

/** The one-request filter, set from an attempt ("Show its events"); the × lifts it. */
function RequestChip({ attemptId }: { attemptId: number }) {
  const showRequestEvents = useOutpost((state) => state.showRequestEvents)
  return (
    <span className="filter-chip" data-testid="filter-request">
      Request #{attemptId}
      <button
        type="button"
        className="filter-chip-remove"
        aria-label="Show every request's events"
        onClick={() => showRequestEvents(null)}
      >
        ×
      </button>
    </span>
  )
}

export function Filters() {
  const filters = useOutpost((state) => state.filters)
  const searchText = useOutpost((state) => state.searchText)
  const destinations = useOutpost((state) => state.stats?.destinations)
  const shown = useOutpost((state) => state.events.length)
  const hasMore = useOutpost((state) => state.nextBeforeId !== null)
  const setStatusFilter = useOutpost((state) => state.setStatusFilter)
  const setDestinationFilter = useOutpost((state) => state.setDestinationFilter)
  const setSearchText = useOutpost((state) => state.setSearchText)
  const exportEvents = useOutpost((state) => state.exportEvents)

  return (
    <div className="filters" role="search">
      <select
        className="input"
        aria-label="Status"
        data-testid="filter-status"
        value={filters.status}
        onChange={(event) => setStatusFilter(toStatusFilter(event.target.value))}
      >
        <option value="">All statuses</option>
        {EVENT_STATUSES.map((status) => (
          <option key={status} value={status}>
            {status}
          </option>
        ))}
      </select>
      <select
        className="input"
        aria-label="Destination"
        data-testid="filter-destination"
        value={filters.destination}
        onChange={(event) => setDestinationFilter(event.target.value)}
      >
        <option value="">All destinations</option>
        {(destinations ?? []).map((destination) => (
          <option key={destination.id} value={destination.id}>
            {destination.id}
          </option>
        ))}
      </select>
      <input
        type="search"
        className="input filter-search"
        aria-label="Search"
        placeholder="Search event name, user or message id"
        maxLength={200}
        data-testid="filter-search"
        value={searchText}
        onChange={(event) => setSearchText(event.target.value)}
      />
      {filters.attemptId !== null && <RequestChip attemptId={filters.attemptId} />}
      <span className="filters-summary muted">
        {shown} {shown === 1 ? 'event' : 'events'} shown{hasMore ? ', more below' : ''}
      </span>
      <button
        type="button"
        className="button"
        data-testid="export-events"
        disabled={shown === 0}
        title={`Save the events these filters match, with their payloads, as a JSON file (the newest ${EXPORT_LIMIT.toLocaleString('en')})`}
        onClick={() => void exportEvents()}
      >
        Export
      </button>
    </div>
  )
}
