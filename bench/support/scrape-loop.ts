import type { ScrapeLoopPlan, ScrapeReport } from './peer-protocol'
import { percentile } from '../../test/support/measurements'

/** One GET of the collector's /metrics, as Prometheus sends it: its time and the bytes of the answer. */
async function scrapeOnce(url: string): Promise<{ ms: number; bytes: number }> {
  const started = performance.now()
  const response = await fetch(url, { headers: { accept: 'text/plain;version=0.0.4' } })
  const body = await response.arrayBuffer()
  if (response.status !== 200) throw new Error(`${url} answered ${response.status}`)
  return { ms: performance.now() - started, bytes: body.byteLength }
}

function reportOf(samples: { ms: number; bytes: number }[]): ScrapeReport {
  const times = samples.map((sample) => sample.ms)
  return {
    scrapes: samples.length,
    p50Ms: percentile(times, 0.5),
    maxMs: Math.max(0, ...times),
    bytes: samples.at(-1)?.bytes ?? 0
  }
}

/**
 * Runs `work` while a scraper reads `plan.url` every `plan.intervalMs`, as Prometheus does (a
 * scrape that takes longer than the interval delays the next, none overlap), until `work` ends or
 * `plan.durationMs` has passed. Fails when a scrape fails.
 */
export async function whileScraping<T>(
  plan: ScrapeLoopPlan,
  work: () => Promise<T>
): Promise<{ result: T; scrapes: ScrapeReport }> {
  const samples: { ms: number; bytes: number }[] = []
  let stopped = false
  const startedAt = performance.now()
  const loop = (async () => {
    for (let index = 0; !stopped && performance.now() - startedAt < plan.durationMs; index++) {
      samples.push(await scrapeOnce(plan.url))
      const nextAt = startedAt + (index + 1) * plan.intervalMs
      const wait = nextAt - performance.now()
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
    }
  })()
  try {
    const result = await work()
    stopped = true
    await loop
    return { result, scrapes: reportOf(samples) }
  } finally {
    stopped = true
    await loop.catch(() => {})
  }
}

/** `count` scrapes one after another, nothing else running: what one scrape costs the collector. */
export async function scrapeInTurn(url: string, count: number): Promise<ScrapeReport> {
  const samples: { ms: number; bytes: number }[] = []
  for (let index = 0; index < count; index++) samples.push(await scrapeOnce(url))
  return reportOf(samples)
}
