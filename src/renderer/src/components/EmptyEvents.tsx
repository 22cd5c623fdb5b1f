import { ingestOrigin } from '../api'
import { useOutpost } from '../store'

function IngestAddresses() {
  const destinations = useOutpost((state) => state.stats?.destinations) ?? []
  const origin = ingestOrigin()
  const base = origin ?? 'http://HOST:PORT'
  const examples =
    destinations.length > 0 ? destinations.map((destination) => destination.id) : ['{destination}']
  return (
    <>
      <p>
        No events yet. Point your SDK at{' '}
        {examples.map((id, index) => (
          <span key={id}>
            {index > 0 && ', '}
            <code>
              {base}/{id}
            </code>
          </span>
        ))}
      </p>
      {!origin && (
        <p className="muted">
          HOST:PORT is the collector&apos;s ingest address, 127.0.0.1:8787 unless configured. Events appear
          here as soon as they are stored.
        </p>
      )}
    </>
  )
}

export function EmptyEvents() {
  const eventsLoaded = useOutpost((state) => state.eventsLoaded)
  const filters = useOutpost((state) => state.filters)
  const clearFilters = useOutpost((state) => state.clearFilters)
  const filtered = filters.status !== '' || filters.destination !== '' || filters.search !== ''

  return (
    <div className="empty" data-testid="events-empty">
      {!eventsLoaded ? (
        <p className="muted">Loading events…</p>
      ) : filtered ? (
        <>
          <p>No events match these filters.</p>
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
