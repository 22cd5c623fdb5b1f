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
