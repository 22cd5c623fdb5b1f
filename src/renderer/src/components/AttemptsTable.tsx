import { useState } from 'react'
import type { Attempt } from '@shared/model'
import { formatClock, formatDateTime, truncate } from '../format'

const BODY_PREVIEW_CHARS = 80

function ResponseBody({ body }: { body: string | null }) {
  const [expanded, setExpanded] = useState(false)
  if (body === null || body === '') return <span className="muted">—</span>
  if (body.length <= BODY_PREVIEW_CHARS) return <code className="response-body">{body}</code>
  return (
    <div className="response-body">
      {expanded ? <pre className="json">{body}</pre> : <code>{truncate(body, BODY_PREVIEW_CHARS)}</code>}
      <button type="button" className="link-button" data-testid="attempt-expand" onClick={() => setExpanded(!expanded)}>
        {expanded ? 'Collapse' : 'Expand'}
      </button>
    </div>
  )
}

function AttemptRow({ attempt }: { attempt: Attempt }) {
  return (
    <tr data-testid="attempt-row" title={attempt.request}>
      <td className="mono" title={formatDateTime(attempt.startedAt)}>
        {formatClock(attempt.startedAt)}
      </td>
      <td className="mono">{attempt.status ?? 'no answer'}</td>
      <td>
        <span className={`outcome outcome-${attempt.outcome}`}>{attempt.outcome}</span>
      </td>
      <td>{attempt.reason}</td>
      <td className="num">{attempt.durationMs} ms</td>
      <td className="num">{attempt.batchSize}</td>
      <td>
        <ResponseBody body={attempt.responseBody} />
      </td>
    </tr>
  )
}

export function AttemptsTable({ attempts }: { attempts: Attempt[] }) {
  if (attempts.length === 0) return <p className="muted">No delivery attempts yet.</p>
  return (
    <table className="attempts">
      <thead>
        <tr>
          <th>Time</th>
          <th>Status</th>
          <th>Outcome</th>
          <th>Reason</th>
          <th className="num">Duration</th>
          <th className="num">Batch</th>
          <th>Response</th>
        </tr>
      </thead>
      <tbody>
        {attempts.map((attempt) => (
          <AttemptRow key={attempt.id} attempt={attempt} />
        ))}
      </tbody>
    </table>
  )
}
