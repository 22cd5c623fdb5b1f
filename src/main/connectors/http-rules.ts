import type { UpstreamAnswer, Verdict } from './types'

/** Parses Retry-After (seconds or an HTTP date) into a delay, capped; undefined when absent or unreadable. */
export function parseRetryAfter(
  value: string | string[] | undefined,
  now: number,
  capMs: number
): number | undefined {
  const text = Array.isArray(value) ? value[0] : value
  if (!text) return undefined
  const trimmed = text.trim()
  let delay: number
  if (/^\d+(\.\d+)?$/.test(trimmed)) delay = Number(trimmed) * 1000
  else {
    const date = Date.parse(trimmed)
    if (Number.isNaN(date)) return undefined
    delay = date - now
  }
  return Math.min(capMs, Math.max(0, delay))
}

/** Keeps what we store of an upstream answer small. */
export function truncate(text: string, max = 2000): string {
  return text.length > max ? `${text.slice(0, max)}… (${text.length - max} more characters)` : text
}

const RETRY_AFTER_CAP_MS = 60_000

/** What the upstream said, for a reason line: ` (503: body…)`. */
export function statusWords(answer: UpstreamAnswer): string {
  return answer.body ? `${answer.status}: ${truncate(answer.body, 200)}` : String(answer.status)
}

/**
 * The delivery rules the vendors share: 2xx delivered; 401/403 a key problem (hold, keep the
 * events); 429 and 5xx transient, with Retry-After honoured on 429/503 (capped at 60 s); any
 * other status a permanent refusal of that request. Connectors check their own rules first.
 */
export function classifyByStatus(vendor: string, answer: UpstreamAnswer, now: number): Verdict {
  const { status } = answer
  if (status >= 200 && status < 300) return { outcome: 'ok', reason: `accepted (${status})` }
  if (status === 401 || status === 403) {
    return {
      outcome: 'auth',
      reason: `${vendor} refused the API key (${statusWords(answer)}); delivery paused, events kept`
    }
  }
  if (status === 429 || status >= 500) {
    const honoursRetryAfter = status === 429 || status === 503
    const retryAfterMs = honoursRetryAfter
      ? parseRetryAfter(answer.headers['retry-after'], now, RETRY_AFTER_CAP_MS)
      : undefined
    return { outcome: 'retry', reason: `${vendor} answered ${statusWords(answer)}`, retryAfterMs }
  }
  return { outcome: 'permanent', reason: `${vendor} refused the request (${statusWords(answer)})` }
}
