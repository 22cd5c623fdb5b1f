import { useEffect, useState } from 'react'
import type { IngestGuide } from '@shared/model'
import { curlCommand, INGEST_KEY_VARIABLE } from '../ingest-curl'
import { isFiltered, useOutpost } from '../store'
import { CopyButton } from './CopyButton'
import { LoadMore } from './LoadMore'

/** Until the guides come (or when they cannot): each destination's base URL, from the stats. */
function BaseUrls() {
  const destinations = useOutpost((state) => state.stats?.destinations) ?? []
  return (
    <ul className="ingest-urls">
      {destinations
        .filter((destination) => destination.fedBy.length === 0)
        .map((destination) => (
          <li key={destination.id}>
            {destination.vendorLabel}: <code>{destination.ingestUrl}</code>
          </li>
        ))}
    </ul>
  )
}

function UrlLine({ method, url }: { method?: string; url: string }) {
  return (
    <li className="ingest-url-line" data-testid="ingest-url-line">
      {method && <span className="ingest-method">{method}</span>}
      <code className="ingest-url">{url}</code>
      <CopyButton text={url} what={`the URL ${url}`} />
    </li>
  )
}

function DestinationGuide({ guide }: { guide: IngestGuide }) {
  const { destination, vendorLabel, example } = guide
  const curl = curlCommand(example)
  const headingId = `ingest-guide-${destination}`
  return (
    <section className="ingest-guide" aria-labelledby={headingId} data-testid={headingId}>
      <h3 id={headingId}>
        {destination} <span className="destination-vendor">{vendorLabel}</span>
      </h3>
      <p className="muted">Base URL for the SDK</p>
      <ul className="ingest-url-lines">
        <UrlLine url={guide.ingestUrl} />
      </ul>
      <p className="muted">Routes</p>
      <ul className="ingest-url-lines" data-testid={`ingest-routes-${destination}`}>
        {guide.routes.map((url) => (
          <UrlLine key={url} method="POST" url={url} />
        ))}
      </ul>
      <div className="ingest-curl-caption">
        <span className="muted">One valid {vendorLabel} event, to paste into a terminal:</span>
        <CopyButton
          text={curl}
          what={`the curl command for ${destination}`}
          label="Copy curl"
          testId={`copy-curl-${destination}`}
        />
      </div>
      <pre className="ingest-curl" data-testid={`ingest-curl-${destination}`}>
        {curl}
      </pre>
      {guide.needsIngestKey && (
        <p className="muted" data-testid={`ingest-key-note-${destination}`}>
          {destination} takes only requests carrying one of its ingest keys (<code>ingestKeys</code> in the
          config): run <code>export {INGEST_KEY_VARIABLE}=…</code> with yours first.
        </p>
      )}
    </section>
  )
}

function IngestGuides() {
  const loadIngestGuides = useOutpost((state) => state.loadIngestGuides)
  const [guides, setGuides] = useState<IngestGuide[] | null>(null)
  useEffect(() => {
    let shown = true
    void loadIngestGuides().then((loaded) => {
      if (shown) setGuides(loaded)
    })
    return () => {
      shown = false
    }
  }, [loadIngestGuides])

  return (
    <>
      <h2 className="empty-title">No events yet</h2>
      <p>
        Give your app&apos;s SDK the base URL of its destination; the paths after it are the vendor&apos;s
        own. Events appear here as soon as they are stored.
      </p>
      {guides === null ? (
        <BaseUrls />
      ) : (
        guides.map((guide) => <DestinationGuide key={guide.destination} guide={guide} />)
      )}
    </>
  )
}

export function EmptyEvents() {
  const eventsLoaded = useOutpost((state) => state.eventsLoaded)
  const filters = useOutpost((state) => state.filters)
  const clearFilters = useOutpost((state) => state.clearFilters)
  const searchedBackTo = useOutpost((state) => state.searchedBackTo)
  const filtered = isFiltered(filters)

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
        <IngestGuides />
      )}
    </div>
  )
}
