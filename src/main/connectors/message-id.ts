import { createHash } from 'node:crypto'

/** JSON with object keys sorted at every level, so equal values always give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`)
    return `{${entries.join(',')}}`
  }
  return JSON.stringify(value)
}

/**
 * A stable message id for vendors (or calls) without one: the same request body always yields
 * the same id, so a client retrying after a lost response is deduplicated.
 */
export function deriveMessageId(prefix: string, value: unknown): string {
  return `${prefix}_${createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 32)}`
}
