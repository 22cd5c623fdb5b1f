import type { Attempt, AttemptExchange as Exchange, HeaderLine } from '@shared/model'
import { PayloadView } from './PayloadView'

type Recorded = Extract<Exchange, { kind: 'recorded' }>

function formatBytes(bytes: number): string {
  return bytes < 1024
    ? `${bytes} bytes`
    : `${(bytes / 1024).toLocaleString('en', { maximumFractionDigits: 1 })} KB`
}

/** Header lines as a two-column table; a vendor key shows as the collector stored it, masked. */
function HeadersTable({ headers, label, testId }: { headers: HeaderLine[]; label: string; testId: string }) {
  if (headers.length === 0) return <p className="muted">No headers.</p>
  return (
    <table className="header-table" aria-label={label} data-testid={testId}>
      <tbody>
        {headers.map((header, index) => (
          <tr key={index} data-testid={`${testId}-line`}>
            <th scope="row" className="mono">
              {header.name}
            </th>
            <td className="mono">{header.value}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

/** A body: the payload view (tree or raw) when it is JSON, its text otherwise. */
function Body({ text, label, testId }: { text: string; label: string; testId: string }) {
  if (text === '') return <p className="muted">No body.</p>
  return <PayloadView text={text} label={label} testId={testId} />
}

/**
 * The body sent: as stored, or rebuilt from the events a delivered batch carried (it keeps no
 * copy), or why it cannot be shown.
 */
function RequestBody({ exchange, testId }: { exchange: Recorded; testId: string }) {
  const from = exchange.requestBodyFrom
  if (from.kind === 'unavailable') {
    return (
      <p className="muted exchange-note" data-testid={`${testId}-request-body-unavailable`}>
        Not available: {from.reason}.
      </p>
    )
  }
  return (
    <>
      {from.kind === 'rebuilt' && (
        <p className="muted exchange-note" data-testid={`${testId}-request-body-rebuilt`}>
          Rebuilt from the events it carried.
        </p>
      )}
      <Body text={exchange.requestBody} label="Request body" testId={`${testId}-request-body`} />
    </>
  )
}

function RequestPart({ exchange, testId }: { exchange: Recorded; testId: string }) {
  return (
    <section className="exchange-part" aria-label="Request">
      <h4>Request</h4>
      <p className="exchange-line mono" data-testid={`${testId}-request-line`}>
        {exchange.method} {exchange.url}
      </p>
      <HeadersTable
        headers={exchange.requestHeaders}
        label="Request headers"
        testId={`${testId}-request-headers`}
      />
      <p className="muted exchange-note">
        Body: {formatBytes(exchange.requestBodyBytes)}
        {exchange.requestBodyCut && ', the first 64 KB shown'}. Vendor keys are stored masked: only their last
        4 characters.
      </p>
      <RequestBody exchange={exchange} testId={testId} />
    </section>
  )
}

function ResponsePart({
  attempt,
  exchange,
  testId
}: {
  attempt: Attempt
  exchange: Recorded
  testId: string
}) {
  return (
    <section className="exchange-part" aria-label="Response">
      <h4>Response</h4>
      {exchange.responseHeaders === null ? (
        <p className="muted" data-testid={`${testId}-no-answer`}>
          No answer came: {attempt.reason}
        </p>
      ) : (
        <>
          <p className="exchange-line mono" data-testid={`${testId}-response-status`}>
            Status {attempt.status}
          </p>
          <HeadersTable
            headers={exchange.responseHeaders}
            label="Response headers"
            testId={`${testId}-response-headers`}
          />
          {exchange.responseHeadersOmitted > 0 && (
            <p className="muted exchange-note">
              {exchange.responseHeadersOmitted} more header lines not kept (past 16 KB of header text).
            </p>
          )}
          <p className="muted exchange-note">Body (kept up to 64 KB):</p>
          <Body
            text={attempt.responseBody ?? ''}
            label="Response body"
            testId={`${testId}-response-body-view`}
          />
        </>
      )}
    </section>
  )
}

/** What an attempt sent and what came back; older attempts say they were not recorded. */
export function AttemptExchange({ attempt, id }: { attempt: Attempt; id: string }) {
  const testId = 'attempt-exchange'
  const { exchange } = attempt
  return (
    <div className="exchange" id={id} data-testid={testId}>
      {exchange.kind === 'not_recorded' && (
        <p className="muted" data-testid={`${testId}-not-recorded`}>
          Not recorded: only the summary above is kept of this attempt. Attempts made before Outpost kept
          requests and responses have no more, nor have publishes to a NATS stream, which carry no HTTP
          request.
        </p>
      )}
      {exchange.kind === 'not_sent' && (
        <p className="muted" data-testid={`${testId}-not-sent`}>
          Nothing was sent: {attempt.reason}
        </p>
      )}
      {exchange.kind === 'recorded' && (
        <>
          <RequestPart exchange={exchange} testId={testId} />
          <ResponsePart attempt={attempt} exchange={exchange} testId={testId} />
        </>
      )}
    </div>
  )
}
