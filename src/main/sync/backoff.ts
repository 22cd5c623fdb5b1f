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
