import { useId, useState } from 'react'
import type { Attempt } from '@shared/model'
import { formatClock, formatDateTime, truncate } from '../format'
import { AttemptExchange } from './AttemptExchange'
import { DisclosureButton } from './DisclosureButton'

const BODY_PREVIEW_CHARS = 120
const REASON_CHARS = 400
/** Reason and response take a full-width line under each attempt: the detail pane is narrow. */
const COLUMNS = 5

function ResponseBody({ body }: { body: string | null }) {
  const [expanded, setExpanded] = useState(false)
  if (!body) return <span className="muted">no body</span>
  const expandable = body.length > BODY_PREVIEW_CHARS
  return (
    <>
      {expanded ? (
        <pre className="json" tabIndex={0} data-testid="attempt-response-body">
          {body}
        </pre>
      ) : (
        <code>{truncate(body, BODY_PREVIEW_CHARS)}</code>
      )}
      {expandable && (
        <DisclosureButton
          open={expanded}
          onToggle={() => setExpanded(!expanded)}
          show="Expand"
          hide="Collapse"
          testId="attempt-expand"
        />
      )}
    </>
  )
}

interface RequestActions {
  /** Resends the events of a refused request (the ones still failed). */
  onResendRequest(attemptId: number): void
  /** Lists the events the request carried. */
  onShowRequestEvents(attemptId: number): void
}

interface AttemptsProps extends RequestActions {
  attempts: Attempt[]
}

function AttemptRows({
  attempt,
  onResendRequest,
  onShowRequestEvents
}: { attempt: Attempt } & RequestActions) {
  const [exchangeOpen, setExchangeOpen] = useState(false)
  const exchangeId = useId()
  return (
    <tbody className="attempt">
      <tr data-testid="attempt-row" title={attempt.request}>
        <td className="mono" title={formatDateTime(attempt.startedAt)}>
          {formatClock(attempt.startedAt)}
        </td>
        <td className="mono">{attempt.status ?? 'no answer'}</td>
        <td>
          <span className={`outcome outcome-${attempt.outcome}`}>{attempt.outcome}</span>
        </td>
        <td className="num">{attempt.durationMs} ms</td>
        <td className="num">{attempt.batchSize}</td>
      </tr>
      <tr className="attempt-line">
        <td colSpan={COLUMNS} title={attempt.reason}>
          <span className="attempt-line-label">Reason</span>
          {truncate(attempt.reason, REASON_CHARS)}
        </td>
      </tr>
      <tr className="attempt-line">
        <td colSpan={COLUMNS}>
          <span className="attempt-line-label">Response</span>
          <ResponseBody body={attempt.responseBody} />
        </td>
      </tr>
      <tr className="attempt-line">
        <td colSpan={COLUMNS}>
          <DisclosureButton
            open={exchangeOpen}
            onToggle={() => setExchangeOpen(!exchangeOpen)}
            show="Show request and response"
            hide="Hide request and response"
            testId="attempt-exchange-toggle"
            controls={exchangeId}
          />
          {exchangeOpen && <AttemptExchange attempt={attempt} id={exchangeId} />}
        </td>
      </tr>
      {attempt.batchSize > 1 && (
        <tr className="attempt-line">
          <td colSpan={COLUMNS}>
            <div className="attempt-actions">
              <button
                type="button"
                className="button"
                data-testid="attempt-show-events"
                title="List the events this request carried"
                onClick={() => onShowRequestEvents(attempt.id)}
              >
                Show its {attempt.batchSize} events
              </button>
              {attempt.outcome === 'permanent' && (
                <button
                  type="button"
                  className="button"
                  data-testid="attempt-resend"
                  title="Resend every event this request carried that is still failed"
                  onClick={() => onResendRequest(attempt.id)}
                >
                  Resend them
                </button>
              )}
            </div>
          </td>
        </tr>
      )}
    </tbody>
  )
}

export function AttemptsTable({ attempts, ...actions }: AttemptsProps) {
  if (attempts.length === 0) return <p className="muted">No delivery attempts yet.</p>
  return (
    <table className="attempts">
      <thead>
        <tr>
          <th>Time</th>
          <th>Status</th>
          <th>Outcome</th>
          <th className="num">Duration</th>
          <th className="num">Batch size</th>
        </tr>
      </thead>
      {attempts.map((attempt) => (
        <AttemptRows key={attempt.id} attempt={attempt} {...actions} />
      ))}
    </table>
  )
}
