import { useMemo } from 'react'
import type { Rejection } from '@shared/model'
import { prettyJson } from '@shared/payload-json'
import { formatDateTime } from '../format'
import { useOutpost } from '../store'
import { BackToList } from './BackToList'
import { CopyJsonButton } from './CopyJsonButton'
import { requestLine } from './RejectionList'

/** The body pretty-printed when it is JSON, as received otherwise (that may be why it was refused). */
function readableBody(body: string): string {
  try {
    return prettyJson(body)
  } catch {
    return body
  }
}

function FieldProblems({ rejection }: { rejection: Rejection }) {
  const batched = rejection.fields.some((field) => field.index !== undefined)
  return (
    <table className="attempts" data-testid="rejection-fields">
      <thead>
        <tr>
          {batched && <th className="num">Event</th>}
          <th>Field</th>
          <th>Reason</th>
        </tr>
      </thead>
      <tbody>
        {rejection.fields.map((field, position) => (
          <tr key={position}>
            {batched && <td className="num">{field.index ?? ''}</td>}
            <td className="mono">{field.field || 'body'}</td>
            <td>{field.reason}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

function RejectionView({ rejection }: { rejection: Rejection }) {
  const body = useMemo(
    () => (rejection.body === null ? null : readableBody(rejection.body)),
    [rejection.body]
  )
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
        <dt>Answer</dt>
        <dd className="text-error" data-testid="rejection-message">
          {rejection.message || `HTTP ${rejection.status}`}
        </dd>
      </dl>
      {rejection.fields.length > 0 && (
        <section className="detail-section">
          <h3>What is wrong</h3>
          <FieldProblems rejection={rejection} />
        </section>
      )}
      <section className="detail-section">
        <h3>Body as received</h3>
        {body === null ? (
          <p className="muted">Not read (the body was larger than the collector takes).</p>
        ) : (
          <pre className="json" tabIndex={0} data-testid="rejection-body">
            {body}
          </pre>
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
  return (
    <aside className="detail" aria-label="Rejected request" data-testid="rejection-detail">
      <BackToList label="Rejected requests" onBack={() => selectRejection(null)} />
      {selected ? (
        <RejectionView rejection={selected} />
      ) : (
        <p className="muted">
          Select a rejected request to see why Outpost refused it and the body it sent. Nothing of it was
          stored.
        </p>
      )}
    </aside>
  )
}
