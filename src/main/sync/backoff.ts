export interface BackoffOptions {
  baseMs: number
  maxMs: number
}

/**
 * Exponential backoff with full jitter (AWS architecture blog): a random delay up to
 * min(max, base * 2^failures), never below a tenth of the base so a down upstream is not hammered.
 */
export function backoffDelay(
  failures: number,
  options: BackoffOptions,
  random: () => number = Math.random
): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(failures, 30))
  return Math.max(options.baseMs / 10, Math.round(random() * ceiling))
}

/**
 * The wait before a destination held for a refused key asks the vendor again: the base, doubling
 * with each refusal up to the max. Jitter takes up to a fifth off, so kiosks sharing a key do not
 * probe in step, while a long setting stays long (never a fraction of it, as full jitter would).
 */
export function probeDelay(
  refusals: number,
  options: BackoffOptions,
  random: () => number = Math.random
): number {
  const step = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(refusals, 30))
  return Math.round(step * (1 - 0.2 * random()))
}
