import {
  EVENT_STATUSES,
  type DestinationHold,
  type DestinationSummary,
  type StatusCounts
} from '@shared/model'
import { formatCount, formatWhen } from '../format'
import { useOutpost } from '../store'
import { ApiKeyEditor } from './ApiKeyEditor'

const HOLD_LABELS: Record<NonNullable<DestinationHold>, string> = {
  not_configured: 'Not configured',
  paused: 'Paused',
  auth: 'Key refused — retrying',
  offline: 'Offline — retrying'
}

export function destinationStateLabel(hold: DestinationHold): string {
  return hold === null ? 'Delivering' : HOLD_LABELS[hold]
}

function DestinationCounts({ id, counts }: { id: string; counts: StatusCounts }) {
  return (
    <ul className="destination-counts">
      {EVENT_STATUSES.map((status) => (
        <li
          key={status}
          className={`count count-${status}${counts[status] === 0 ? ' count-zero' : ''}`}
          title={status}
        >
          <span className="count-label">{status}</span>
          <span className="count-value" data-testid={`destination-count-${id}-${status}`}>
            {formatCount(counts[status])}
          </span>
        </li>
      ))}
    </ul>
  )
}

function DestinationTiming({ destination }: { destination: DestinationSummary }) {
  const parts: string[] = []
  if (destination.nextAttemptAt) parts.push(`next try ${formatWhen(destination.nextAttemptAt)}`)
  parts.push(
    destination.lastSuccessAt
      ? `last delivery ${formatWhen(destination.lastSuccessAt)}`
      : 'nothing delivered yet'
  )
  return <div className="destination-timing">{parts.join(' · ')}</div>
}

function DestinationCard({ destination }: { destination: DestinationSummary }) {
  const pauseDestination = useOutpost((state) => state.pauseDestination)
  const resumeDestination = useOutpost((state) => state.resumeDestination)
  const syncNow = useOutpost((state) => state.syncNow)
  const { id, vendorLabel, hold, holdReason, paused } = destination
  // A refused key is tried again by itself at the next try; Resume tries it now (say, once the vendor
  // re-enabled it).
  const canResume = paused || hold === 'auth'

  return (
    <article className={`destination destination-${hold ?? 'delivering'}`} data-testid={`destination-${id}`}>
      <header className="destination-header">
        <span className="destination-id">{id}</span>
        <span className="destination-vendor">{vendorLabel}</span>
      </header>
      <div
        className="destination-state"
        data-testid={`destination-state-${id}`}
        title={holdReason ?? undefined}
      >
        {destinationStateLabel(hold)}
      </div>
      {holdReason && (
        <div className="destination-reason" title={holdReason}>
          {holdReason}
        </div>
      )}
      <ApiKeyEditor destination={destination} />
      {destination.fedBy.length > 0 ? (
        <span
          className="destination-url"
          title="Gets every event these destinations accept; apps send to them"
          data-testid={`fed-by-${id}`}
        >
          fed by {destination.fedBy.join(', ')}
        </span>
      ) : (
        <code
          className="destination-url"
          title="The base URL to give this vendor's SDK"
          data-testid={`ingest-url-${id}`}
        >
          {destination.ingestUrl}
        </code>
      )}
      <DestinationCounts id={id} counts={destination.counts} />
      <DestinationTiming destination={destination} />
      <div className="destination-actions">
        {!paused && (
          <button
            type="button"
            className="button"
            data-testid={`pause-${id}`}
            onClick={() => void pauseDestination(id)}
          >
            Pause
          </button>
        )}
        {canResume && (
          <button
            type="button"
            className="button"
            data-testid={`resume-${id}`}
            title={paused ? 'Start delivering again' : 'Try the key again now instead of at the next try'}
            onClick={() => void resumeDestination(id)}
          >
            Resume
          </button>
        )}
        <button
          type="button"
          className="button"
          data-testid={`sync-${id}`}
          title={
            paused
              ? 'Paused: nothing is sent until you press Resume'
              : 'Deliver waiting events now, skipping backoff'
          }
          onClick={() => void syncNow(id)}
        >
          Sync now
        </button>
      </div>
    </article>
  )
}

export function DestinationsStrip() {
  const destinations = useOutpost((state) => state.stats?.destinations)
  if (!destinations) return null
  if (destinations.length === 0) {
    return (
      <div className="destinations-empty muted">
        No destinations are configured. Add one to the config file and restart.
      </div>
    )
  }
  return (
    <section className="destinations" aria-label="Destinations">
      {destinations.map((destination) => (
        <DestinationCard key={destination.id} destination={destination} />
      ))}
    </section>
  )
}
