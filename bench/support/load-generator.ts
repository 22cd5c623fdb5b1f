import { Pool } from 'undici'
import { realisticEvent } from './events'
import type { LoadPlan, LoadReport } from './peer-protocol'
import { percentile } from './stats'

const HEADERS = { 'content-type': 'application/json' }
/** No single request may hold a run longer than this. */
const REQUEST_TIMEOUT_MS = 30_000

interface Tally {
  acknowledgedRequests: number
  acknowledgedEvents: number
  failures: number
  firstFailure: string | null
  stoppedByDeadline: boolean
  latenciesMs: number[]
}

/** Every body a client will send, built before the clock starts so JSON building is not measured. */
function bodiesOf(plan: LoadPlan, client: number): string[] {
  return Array.from({ length: plan.requestsPerClient }, (_, request) => {
    const first = (client * plan.requestsPerClient + request) * plan.eventsPerRequest
    const events = Array.from({ length: plan.eventsPerRequest }, (_, offset) =>
      realisticEvent(`${plan.messageIdPrefix}-${first + offset}`, first + offset)
    )
    return JSON.stringify(plan.eventsPerRequest === 1 ? events[0] : { events })
  })
}

/** The `accepted` count of a Whisperr-style answer; every server under test answers one. */
function acceptedCount(body: string): number {
  const parsed = JSON.parse(body) as { accepted?: unknown }
  return typeof parsed.accepted === 'number' ? parsed.accepted : 0
}

function fail(tally: Tally, reason: string): void {
  tally.failures++
  tally.firstFailure ??= reason
}

/** One client: a request, wait for its answer, the next request; like an SDK flushing its queue. */
async function runClient(pool: Pool, path: string, bodies: string[], deadline: number, tally: Tally) {
  for (const body of bodies) {
    if (performance.now() >= deadline) {
      tally.stoppedByDeadline = true
      return
    }
    const started = performance.now()
    try {
      const response = await pool.request({ method: 'POST', path, headers: HEADERS, body })
      const text = await response.body.text()
      tally.latenciesMs.push(performance.now() - started)
      if (response.statusCode !== 202) {
        fail(tally, `HTTP ${response.statusCode}: ${text.slice(0, 300)}`)
        continue
      }
      tally.acknowledgedRequests++
      tally.acknowledgedEvents += acceptedCount(text)
    } catch (error) {
      fail(tally, error instanceof Error ? `${error.name}: ${error.message}` : String(error))
    }
  }
}

/** Runs `plan` from concurrent keep-alive clients and reports throughput and latency. */
export async function runLoad(plan: LoadPlan): Promise<LoadReport> {
  const bodies = Array.from({ length: plan.clients }, (_, client) => bodiesOf(plan, client))
  const pool = new Pool(plan.origin, {
    connections: plan.clients,
    pipelining: 1,
    headersTimeout: REQUEST_TIMEOUT_MS,
    bodyTimeout: REQUEST_TIMEOUT_MS
  })
  const tally: Tally = {
    acknowledgedRequests: 0,
    acknowledgedEvents: 0,
    failures: 0,
    firstFailure: null,
    stoppedByDeadline: false,
    latenciesMs: []
  }
  const started = performance.now()
  const deadline = started + plan.maxDurationMs
  let elapsedMs: number
  try {
    await Promise.all(bodies.map((clientBodies) => runClient(pool, plan.path, clientBodies, deadline, tally)))
    elapsedMs = performance.now() - started
  } finally {
    await pool.close()
  }
  const { latenciesMs, ...counts } = tally
  return {
    ...counts,
    elapsedMs,
    p50Ms: percentile(latenciesMs, 0.5),
    p99Ms: percentile(latenciesMs, 0.99)
  }
}
