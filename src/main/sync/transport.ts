import { Agent, errors, request } from 'undici'
import type { UpstreamAnswer } from '../connectors/types'
import { truncate } from '../connectors/http-rules'

export type TransportResult =
  { kind: 'answer'; answer: UpstreamAnswer } | { kind: 'no_answer'; reason: string }

const MAX_RESPONSE_BODY = 64 * 1024
/** Every vendor takes its events by POST. */
export const UPSTREAM_METHOD = 'POST'

/** The headers every upstream request carries besides the connector's own (which win). */
export function upstreamHeaders(connectorHeaders: Record<string, string>): Record<string, string> {
  return { 'user-agent': 'Outpost/0.1', ...connectorHeaders }
}

/** Words for a request that got no answer: its outcome upstream is unknown. */
function describeNetworkError(error: unknown, timeoutMs: number): string {
  const { code, name } = error as { code?: string; name?: string }
  if (
    name === 'TimeoutError' ||
    error instanceof errors.HeadersTimeoutError ||
    error instanceof errors.BodyTimeoutError ||
    code === 'UND_ERR_CONNECT_TIMEOUT'
  ) {
    return `no answer within ${timeoutMs / 1000} s (outcome unknown; resent later with the same message ids)`
  }
  if (code === 'ECONNREFUSED') return 'connection refused: the upstream is down or unreachable'
  if (code === 'ECONNRESET' || error instanceof errors.SocketError) {
    return 'connection reset before an answer (outcome unknown; resent later with the same message ids)'
  }
  if (name === 'AbortError')
    return 'cancelled by shutdown (outcome unknown; resent at next start with the same message ids)'
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return 'the upstream host name could not be resolved (offline?)'
  return `network error: ${(error as Error).message ?? String(error)}`
}

/** HTTP to the vendors: pooled keep-alive connections, every phase bounded by the timeout. */
export function createTransport(timeoutMs: number) {
  const agent = new Agent({
    connect: { timeout: timeoutMs },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs
  })

  /** `cancel` aborts the request (shutdown): its outcome is then unknown, like a timeout. */
  async function post(
    url: string,
    headers: Record<string, string>,
    body: string,
    cancel?: AbortSignal
  ): Promise<TransportResult> {
    try {
      const response = await request(url, {
        method: UPSTREAM_METHOD,
        headers: upstreamHeaders(headers),
        body,
        dispatcher: agent,
        signal: cancel
          ? AbortSignal.any([cancel, AbortSignal.timeout(timeoutMs * 2)])
          : AbortSignal.timeout(timeoutMs * 2)
      })
      const text = await response.body.text()
      return {
        kind: 'answer',
        answer: {
          status: response.statusCode,
          headers: response.headers,
          body: truncate(text, MAX_RESPONSE_BODY)
        }
      }
    } catch (error) {
      return { kind: 'no_answer', reason: describeNetworkError(error, timeoutMs) }
    }
  }

  return { post, close: () => agent.close() }
}

export type Transport = ReturnType<typeof createTransport>
