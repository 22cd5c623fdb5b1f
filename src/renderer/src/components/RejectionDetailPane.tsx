import type { RefusedEvent, Rejection } from '@shared/model'
import { eventOfBatch, formatBytes, formatDateTime, utf8Bytes } from '../format'
import { FOCUS_TARGETS, focusRejectionRow } from '../focus-moves'
import { useOutpost } from '../store'
import { DetailPane } from './BackToList'
import { CopyJsonButton } from './CopyJsonButton'
import { PayloadView } from './PayloadView'
import { requestLine } from './RejectionList'

const isBatched = (rejection: Rejection) => rejection.fields.some((field) => field.index !== undefined)

function FieldProblems({ rejection }: { rejection: Rejection }) {
  const batched = isBatched(rejection)
  return (
    <table className="attempts" data-testid="rejection-fields">
      <thead>
        <tr>
          {batched && <th>Event</th>}
          <th>Field</th>
          <th>Reason</th>
        </tr>
      </thead>
      <tbody>
        {rejection.fields.map((field, position) => (
          <tr key={position}>
            {batched && (
              <td className="nowrap">
                {field.index === undefined ? '' : eventOfBatch(field.index, rejection.batchSize)}
              </td>
            )}
            <td className="mono">{field.field || 'body'}</td>
            <td>{field.reason}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

/** "Showing the first 16 KB of 212 KB": said wherever Outpost kept only the start of a text. */
function CutNote({ text, bytes, testId }: { text: string; bytes: number; testId: string }) {
  const shown = utf8Bytes(text)
  if (shown >= bytes) return null
  return (
    <p className="muted cut-note" data-testid={testId}>
      Showing the first {formatBytes(shown)} of {formatBytes(bytes)}: Outpost keeps only the start.
    </p>
  )
}

function RefusedEventView({ event, rejection }: { event: RefusedEvent; rejection: Rejection }) {
  const label = eventOfBatch(event.index, rejection.batchSize)
  const problems = rejection.fields.filter((field) => field.index === event.index)
  return (
    <article
      className="refused-event"
      aria-label={label}
      data-testid="refused-event"
      data-index={event.index}
    >
      <h4>{label}</h4>
      <ul className="refused-event-problems">
        {problems.map((problem, position) => (
          <li key={position}>
            <code>{problem.field || 'the event'}</code> {problem.reason}
          </li>
        ))}
      </ul>
      {event.text === null ? (
        <p className="muted">
          Its text ({formatBytes(event.bytes)}) was not kept: a rejection keeps the first 32 KB of its refused
          events.
        </p>
      ) : (
        <>
          <CutNote text={event.text} bytes={event.bytes} testId="refused-event-cut" />
          <PayloadView text={event.text} label={label} testId={`refused-event-${event.index}`} />
        </>
      )}
    </article>
  )
}

function RejectionView({ rejection }: { rejection: Rejection }) {
  return (
    <>
      <header className="detail-header">
        <h2 className="detail-title">
          {rejection.status} {rejection.error}
        </h2>
        <span className="muted mono">#{rejection.id}</span>
        <CopyJsonButton json={JSON.stringify(rejection, null, 2)} />
      </header>
      <dl className="fields">
        <dt>Request</dt>
        <dd className="mono">{requestLine(rejection)}</dd>
        <dt>Destination</dt>
        <dd>{rejection.destination ?? 'none: the path names no destination'}</dd>
        <dt>Received</dt>
        <dd>{formatDateTime(rejection.at)}</dd>
        {rejection.batchSize !== null && (
          <>
            <dt>Events</dt>
            <dd data-testid="rejection-batch-size">{rejection.batchSize.toLocaleString()} in the batch</dd>
          </>
        )}
        <dt>Answer</dt>
        <dd className="text-error" data-testid="rejection-message">
          {rejection.message || `HTTP ${rejection.status}`}
        </dd>
      </dl>
      {rejection.fields.length > 0 && (
        <section className="detail-section">
          <h3>What is wrong</h3>
          {isBatched(rejection) && (
            <p className="muted section-note">
              The answer numbers a batch&apos;s events from 0; here they are counted from 1.
            </p>
          )}
          <FieldProblems rejection={rejection} />
        </section>
      )}
      {rejection.refusedEvents.length > 0 && (
        <section className="detail-section" data-testid="refused-events">
          <h3>Refused events</h3>
          {rejection.refusedEvents.map((event) => (
            <RefusedEventView key={event.index} event={event} rejection={rejection} />
          ))}
        </section>
      )}
      <section className="detail-section">
        <h3>Body as received</h3>
        {rejection.body === null ? (
          <p className="muted">Not read (the body was larger than the collector takes).</p>
        ) : (
          <>
            <CutNote text={rejection.body} bytes={rejection.bodyBytes ?? 0} testId="rejection-body-cut" />
            <PayloadView text={rejection.body} label="Body as received" testId="rejection-body" />
          </>
        )}
      </section>
    </>
  )
}

export function RejectionDetailPane() {
  const selected = useOutpost((state) =>
    state.rejections.find((rejection) => rejection.id === state.selectedRejectionId)
  )
  const selectRejection = useOutpost((state) => state.selectRejection)
  const backToList = () => {
    selectRejection(null)
    focusRejectionRow(selected?.id)
  }
  return (
    <DetailPane
      id={FOCUS_TARGETS.rejectionDetail}
      label="Rejected request"
      testId="rejection-detail"
      listLabel="Rejected requests"
      onBack={backToList}
      onReturn={() => focusRejectionRow()}
    >
      {selected ? (
        <RejectionView rejection={selected} />
      ) : (
        <p className="muted">
          Select a rejected request to see why Outpost refused it and the body it sent. Nothing of it was
          stored.
        </p>
      )}
    </DetailPane>
  )
}
