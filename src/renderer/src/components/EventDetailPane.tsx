import { useMemo, type ReactNode } from 'react'
import type { EventDetail } from '@shared/model'
import { formatDateTime, prettyJson } from '../format'
import { useOutpost } from '../store'
import { AttemptsTable } from './AttemptsTable'
import { CopyJsonButton } from './CopyJsonButton'
import { StatusChip } from './StatusChip'

function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </>
  )
}

function lastAnswer(detail: EventDetail): string {
  if (detail.lastStatus === null && detail.lastError === null) return '—'
  const status = detail.lastStatus === null ? 'no answer' : `HTTP ${detail.lastStatus}`
  return detail.lastError ? `${status}: ${detail.lastError}` : status
}

function EventFields({ detail }: { detail: EventDetail }) {
  return (
    <dl className="fields">
      <Field label="Message id">
        <span className="mono">{detail.messageId}</span>
      </Field>
      <Field label="Destination">{detail.destination}</Field>
      <Field label="Kind">{detail.kind}</Field>
      <Field label="User">{detail.userKey ? <span className="mono">{detail.userKey}</span> : '—'}</Field>
      <Field label="Occurred">{formatDateTime(detail.occurredAt)}</Field>
      <Field label="Received">{formatDateTime(detail.receivedAt)}</Field>
      <Field label="Sent">{formatDateTime(detail.sentAt)}</Field>
      <Field label="Next attempt">{formatDateTime(detail.nextAttemptAt)}</Field>
      <Field label="Attempts">{detail.attempts}</Field>
      <Field label="Last answer">
        <span className={detail.lastError ? 'text-error' : undefined}>{lastAnswer(detail)}</span>
      </Field>
    </dl>
  )
}

function Payloads({ detail }: { detail: EventDetail }) {
  const payload = useMemo(() => prettyJson(detail.payload), [detail.payload])
  const received = useMemo(() => prettyJson(detail.receivedPayload), [detail.receivedPayload])
  const edited = received !== payload
  return (
    <>
      <section className="detail-section">
        <h3>
          Payload to send{detail.revision > 0 && <span className="muted"> · revision {detail.revision}</span>}
        </h3>
        <pre className="json" data-testid="payload">
          {payload}
        </pre>
      </section>
      {edited && (
        <section className="detail-section">
          <h3>Payload as received</h3>
          <pre className="json" data-testid="received-payload">
            {received}
          </pre>
        </section>
      )}
    </>
  )
}

function EventDetailView({ detail }: { detail: EventDetail }) {
  return (
    <>
      <header className="detail-header">
        <h2 className="detail-title" title={detail.name}>
          {detail.name}
        </h2>
        <StatusChip status={detail.status} />
        <span className="muted mono">#{detail.id}</span>
        <CopyJsonButton value={detail} />
      </header>
      <EventFields detail={detail} />
      <Payloads detail={detail} />
      <section className="detail-section">
        <h3>Delivery attempts</h3>
        <AttemptsTable attempts={detail.attemptsLog} />
      </section>
    </>
  )
}

export function EventDetailPane() {
  const selectedId = useOutpost((state) => state.selectedId)
  const detail = useOutpost((state) => state.detail)
  const detailState = useOutpost((state) => state.detailState)

  let content: ReactNode
  if (detail && detailState === 'loaded') content = <EventDetailView detail={detail} />
  else if (detailState === 'missing')
    content = (
      <p className="muted">
        Event #{selectedId} no longer exists: delivered events are pruned after the retention period.
      </p>
    )
  else if (detailState === 'loading') content = <p className="muted">Loading event #{selectedId}…</p>
  else
    content = (
      <p className="muted">
        Select an event to see its payload and every delivery attempt. ↑ and ↓ move through the list.
      </p>
    )

  return (
    <aside className="detail" aria-label="Event detail" data-testid="event-detail">
      {content}
    </aside>
  )
}
