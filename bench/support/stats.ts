import { percentile } from '../../test/support/measurements'

/** Median of a few round results: one slow round on a noisy machine does not move it. */
export function median(values: readonly number[]): number {
  return percentile(values, 0.5)
}

export function perSecond(count: number, elapsedMs: number): number {
  return elapsedMs > 0 ? (count * 1000) / elapsedMs : Number.NaN
}
