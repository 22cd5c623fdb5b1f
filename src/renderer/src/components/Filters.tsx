import { useId, useRef, useState } from 'react'
import { EXPORT_FORMATS, type ExportFormat } from '@shared/api'
import { EVENT_STATUSES, type EventCount, type EventStatus, type ExportProgress } from '@shared/model'
import { exportLink } from '../api'
import { formatCount } from '../format'
import { useShortcut } from '../shortcuts'
import { toQuery, useOutpost, type ReceivedFilter } from '../store'
import { BulkActions } from './BulkActions'

const FORMAT_LABELS: Record<ExportFormat, string> = { json: 'JSON', ndjson: 'NDJSON', csv: 'CSV' }
const EXPORT_TITLE = 'Save every event these filters match, with its payloads as received and as sent'

function toExportFormat(value: string): ExportFormat {
  return EXPORT_FORMATS.find((format) => format === value) ?? 'json'
}

function progressText({ rows, total }: ExportProgress): string {
  const written = formatCount(rows)
  return total === null ? `Exporting… ${written}` : `Exporting… ${written} of ${formatCount(total)}`
}

/**
 * Export in the transport's way: the console links to the download (the browser streams it to a
 * file), the desktop app asks main to write the file and shows how far it has come.
 */
function ExportControl({ disabled }: { disabled: boolean }) {
  const filters = useOutpost((state) => state.filters)
  const progress = useOutpost((state) => state.exportProgress)
  const exportToFile = useOutpost((state) => state.exportToFile)
  const [format, setFormat] = useState<ExportFormat>('json')
  const link = exportLink(toQuery(filters), format)
  return (
    <>
      <select
        className="input"
        aria-label="Export format"
        data-testid="export-format"
        value={format}
        onChange={(event) => setFormat(toExportFormat(event.target.value))}
      >
        {EXPORT_FORMATS.map((option) => (
          <option key={option} value={option}>
            {FORMAT_LABELS[option]}
          </option>
        ))}
      </select>
      {link !== null ? (
        <a
          className="button"
          data-testid="export-events"
          href={disabled ? undefined : link}
          aria-disabled={disabled}
          download
          title={EXPORT_TITLE}
        >
          Export
        </a>
      ) : (
        <button
          type="button"
          className="button"
          data-testid="export-events"
          disabled={disabled || progress !== null}
          title={EXPORT_TITLE}
          onClick={() => void exportToFile(format)}
        >
          {progress === null ? 'Export' : progressText(progress)}
        </button>
      )}
    </>
  )
}

function toStatusFilter(value: string): EventStatus | '' {
  return EVENT_STATUSES.find((status) => status === value) ?? ''
}

/** The receipt-time choices: a window up to now (in minutes), or two times picked. */
const RECEIVED_CHOICES: { value: string; label: string; filter: ReceivedFilter }[] = [
  { value: 'any', label: 'Any time', filter: { kind: 'any' } },
  { value: '15', label: 'Last 15 minutes', filter: { kind: 'last', minutes: 15 } },
  { value: '60', label: 'Last hour', filter: { kind: 'last', minutes: 60 } },
  { value: '1440', label: 'Last 24 hours', filter: { kind: 'last', minutes: 1_440 } },
  { value: '10080', label: 'Last 7 days', filter: { kind: 'last', minutes: 10_080 } },
  { value: 'between', label: 'Between…', filter: { kind: 'between', from: '', to: '' } }
]

function receivedChoice(filter: ReceivedFilter): string {
  if (filter.kind === 'last') return String(filter.minutes)
  return filter.kind
}

/** When the events were received: any time, the last minutes, or between two local times (each minute whole). */
function ReceivedControl() {
  const received = useOutpost((state) => state.filters.received)
  const setReceivedFilter = useOutpost((state) => state.setReceivedFilter)
  return (
    <>
      <select
        className="input"
        aria-label="Received"
        data-testid="filter-received"
        value={receivedChoice(received)}
        onChange={(event) =>
          setReceivedFilter(
            RECEIVED_CHOICES.find((choice) => choice.value === event.target.value)?.filter ?? { kind: 'any' }
          )
        }
      >
        {RECEIVED_CHOICES.map((choice) => (
          <option key={choice.value} value={choice.value}>
            {choice.label}
          </option>
        ))}
      </select>
      {received.kind === 'between' && (
        <span className="filter-range">
          <input
            type="datetime-local"
            className="input"
            aria-label="Received from"
            data-testid="filter-received-from"
            value={received.from}
            max={received.to || undefined}
            onChange={(event) => setReceivedFilter({ ...received, from: event.target.value })}
          />
          <span className="muted">to</span>
          <input
            type="datetime-local"
            className="input"
            aria-label="Received to"
            data-testid="filter-received-to"
            value={received.to}
            min={received.from || undefined}
            onChange={(event) => setReceivedFilter({ ...received, to: event.target.value })}
          />
        </span>
      )}
    </>
  )
}

/**
 * The exact name and user filters. The name field offers the names stored (read from the collector
 * each time it takes the focus: a cheap read, and new names show up).
 */
function NameUserControls() {
  const typed = useOutpost((state) => state.typed)
  const eventNames = useOutpost((state) => state.eventNames)
  const typeFilter = useOutpost((state) => state.typeFilter)
  const loadEventNames = useOutpost((state) => state.loadEventNames)
  const namesId = useId()
  return (
    <>
      <input
        type="text"
        className="input filter-exact"
        aria-label="Event name"
        placeholder="Event name"
        title="Only events of this name, exactly"
        list={namesId}
        autoComplete="off"
        spellCheck={false}
        maxLength={1000}
        data-testid="filter-name"
        value={typed.name}
        onFocus={() => void loadEventNames()}
        onChange={(event) => typeFilter('name', event.target.value)}
      />
      <datalist id={namesId} data-testid="event-names">
        {eventNames.map((name) => (
          <option key={name} value={name} />
        ))}
      </datalist>
      <input
        type="text"
        className="input filter-exact"
        aria-label="User"
        placeholder="User"
        title="Only events of this user key, exactly"
        autoComplete="off"
        spellCheck={false}
        maxLength={1000}
        data-testid="filter-user"
        value={typed.user}
        onChange={(event) => typeFilter('user', event.target.value)}
      />
    </>
  )
}

const plural = (n: number, word: string) => `${word}${n === 1 ? '' : 's'}`

/** "1,204 events match · 200 shown", "10,000+ …" when the count stopped early, while it is being read only what is shown. */
function summaryText(count: EventCount | null, shown: number, hasMore: boolean): string {
  const shownText = `${shown.toLocaleString('en')} shown${hasMore ? ', more below' : ''}`
  if (count === null) return shownText
  const counted = `${count.count.toLocaleString('en')}${count.exact ? '' : '+'}`
  return `${counted} ${plural(count.count, 'event')} ${count.count === 1 && count.exact ? 'matches' : 'match'} · ${shownText}`
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
  const searchText = useOutpost((state) => state.typed.search)
  const destinations = useOutpost((state) => state.stats?.destinations)
  const shown = useOutpost((state) => state.events.length)
  const hasMore = useOutpost((state) => state.nextBeforeId !== null)
  const count = useOutpost((state) => state.count)
  const searchBacklog = useOutpost((state) => state.stats?.searchBacklog ?? 0)
  const setStatusFilter = useOutpost((state) => state.setStatusFilter)
  const setDestinationFilter = useOutpost((state) => state.setDestinationFilter)
  const typeFilter = useOutpost((state) => state.typeFilter)
  const searchInput = useRef<HTMLInputElement>(null)
  useShortcut('/', () => searchInput.current?.select())

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
      <ReceivedControl />
      <NameUserControls />
      <input
        ref={searchInput}
        type="search"
        className="input filter-search"
        aria-label="Search"
        placeholder="Search names, users, message ids, payload values"
        title="Finds, ignoring case, a part of the event name, user, message id or of any value in the payload (not property names)"
        maxLength={200}
        data-testid="filter-search"
        aria-keyshortcuts="/"
        value={searchText}
        onChange={(event) => typeFilter('search', event.target.value)}
      />
      {filters.attemptId !== null && <RequestChip attemptId={filters.attemptId} />}
      <span className="filters-summary muted" data-testid="filters-summary">
        {summaryText(count, shown, hasMore)}
        {filters.search !== '' && searchBacklog > 0 && (
          <span title="Events stored but not in the search index yet are searched one by one: slower until the index catches up">
            {' '}
            · indexing {searchBacklog.toLocaleString('en')}
          </span>
        )}
      </span>
      <ExportControl disabled={shown === 0} />
      <BulkActions />
    </div>
  )
}
