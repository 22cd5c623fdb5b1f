import type { TestCollector } from './collector'
import { whisperrEvent } from './whisperr-events'

/**
 * What tests and benchmarks measure while heavy work runs: ingest latencies and this process's
 * memory. The benchmarks (bench/support) take their percentile from here too, so a p99 means
 * the same in a test's bound and in docs/benchmarks.md.
 */

/** The value below which `fraction` of the samples fall (nearest rank); NaN when there are none. */
export function percentile(samples: ArrayLike<number>, fraction: number): number {
  if (samples.length === 0) return Number.NaN
  const sorted = Float64Array.from(samples).sort()
  const rank = Math.ceil(fraction * sorted.length) - 1
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))] as number
}

/** `N requests, p50 …, p99 …, max …` of latencies in milliseconds, for a test's log line. */
export function describeLatencies(latencies: readonly number[]): string {
  const ms = (value: number) => `${value.toFixed(1)} ms`
  return (
    `${latencies.length} requests, p50 ${ms(percentile(latencies, 0.5))}, ` +
    `p99 ${ms(percentile(latencies, 0.99))}, max ${ms(percentile(latencies, 1))}`
  )
}

/**
 * Whisperr track requests to `destination`, one after another while `running()`: their latencies
 * in milliseconds (sorted) and the statuses they were answered with.
 */
export async function ingestWhile(
  outpost: TestCollector,
  destination: string,
  running: () => boolean
): Promise<{ latencies: number[]; statuses: number[] }> {
  const latencies: number[] = []
  const statuses = new Set<number>()
  while (running()) {
    const started = performance.now()
    const { status } = await outpost.post(`/${destination}/v1/events/track`, whisperrEvent())
    latencies.push(performance.now() - started)
    statuses.add(status)
  }
  return { latencies: latencies.sort((a, b) => a - b), statuses: [...statuses] }
}

/** Samples this process's resident memory every 10 ms from now until stop(), which returns the peak. */
export function sampleRss(): { baseline: number; stop(): number } {
  const baseline = process.memoryUsage().rss
  let peak = baseline
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10)
  return {
    baseline,
    stop() {
      clearInterval(sampler)
      return peak
    }
  }
}

/** `RSS … MB before, peak … MB (+… MB)`, for a test's log line. */
export function describeRss(baseline: number, peak: number): string {
  const mb = (bytes: number) => (bytes / 1e6).toFixed(0)
  return `RSS ${mb(baseline)} MB before, peak ${mb(peak)} MB (+${mb(peak - baseline)} MB)`
}
