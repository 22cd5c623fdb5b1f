import { useOutpost } from '../store'
import { LoadMore } from './LoadMore'

function IngestAddresses() {
  const destinations = useOutpost((state) => state.stats?.destinations) ?? []
  return (
    <>
      <p>No events yet. Give your SDK the base URL of its destination:</p>
      <ul className="ingest-urls">
        {destinations.map((destination) => (
          <li key={destination.id}>
            {destination.vendorLabel}: <code>{destination.ingestUrl}</code>
          </li>
        ))}
      </ul>
      <p className="muted">Events appear here as soon as they are stored.</p>
    </>
  )
}

export function EmptyEvents() {
  const eventsLoaded = useOutpost((state) => state.eventsLoaded)
  const filters = useOutpost((state) => state.filters)
  const clearFilters = useOutpost((state) => state.clearFilters)
  const searchedBackTo = useOutpost((state) => state.searchedBackTo)
  const filtered =
    filters.status !== '' ||
    filters.destination !== '' ||
    filters.search !== '' ||
    filters.attemptId !== null ||
    filters.received.kind !== 'any'

  return (
    <div className="empty" data-testid="events-empty">
      {!eventsLoaded ? (
        <p className="muted">Loading events…</p>
      ) : filtered ? (
        <>
          <p>{searchedBackTo === null ? 'No events match these filters.' : 'No matches yet.'}</p>
          <LoadMore />
          <button type="button" className="button" onClick={clearFilters}>
            Clear filters
          </button>
        </>
      ) : (
        <IngestAddresses />
      )}
    </div>
  )
}
