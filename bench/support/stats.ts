/** The value below which `fraction` of the samples fall (nearest rank); NaN when there are none. */
export function percentile(samples: ArrayLike<number>, fraction: number): number {
  if (samples.length === 0) return Number.NaN
  const sorted = Float64Array.from(samples).sort()
  const rank = Math.ceil(fraction * sorted.length) - 1
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))] as number
}

/** Median of a few round results: one slow round on a noisy machine does not move it. */
export function median(values: readonly number[]): number {
  return percentile(values, 0.5)
}

export function perSecond(count: number, elapsedMs: number): number {
  return elapsedMs > 0 ? (count * 1000) / elapsedMs : Number.NaN
}
