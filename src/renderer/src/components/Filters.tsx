import { useState } from 'react'
import { EXPORT_FORMATS, type ExportFormat } from '@shared/api'
import { EVENT_STATUSES, type EventStatus, type ExportProgress } from '@shared/model'
import { exportLink } from '../api'
import { formatCount } from '../format'
import { toQuery, useOutpost } from '../store'

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
      <ExportControl disabled={shown === 0} />
    </div>
  )
}
