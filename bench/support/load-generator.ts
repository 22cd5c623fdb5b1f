import { Pool } from 'undici'
import { realisticEvent, realisticFlywheelBody } from './events'
import type { LoadPlan, LoadReport, MockVendor } from './peer-protocol'
import { percentile } from '../../test/support/measurements'

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

/** How an app of each vendor writes a request, and how the server says it took its events. */
interface VendorCalls {
  /** The body of the request whose events start at sequence `first`. */
  body(plan: LoadPlan, first: number): string
  /** Events acknowledged by this answer; null when it is a refusal. */
  acknowledged(status: number, text: string): number | null
}

const CALLS: Record<MockVendor, VendorCalls> = {
  whisperr: {
    body(plan, first) {
      const events = Array.from({ length: plan.eventsPerRequest }, (_, offset) =>
        realisticEvent(`${plan.messageIdPrefix}-${first + offset}`, first + offset)
      )
      return JSON.stringify(plan.eventsPerRequest === 1 ? events[0] : { events })
    },
    // The `accepted` count of a Whisperr answer; every Whisperr-like server under test answers one.
    acknowledged(status, text) {
      if (status !== 202) return null
      const parsed = JSON.parse(text) as { accepted?: unknown }
      return typeof parsed.accepted === 'number' ? parsed.accepted : 0
    }
  },
  flywheel: {
    // One event a request: Flywheel has no batch body.
    body: (_plan, first) => realisticFlywheelBody(first),
    acknowledged: (status) => (status === 200 ? 1 : null)
  }
}

/** Every body a client will send, built before the clock starts so JSON building is not measured. */
function bodiesOf(plan: LoadPlan, client: number): string[] {
  const calls = CALLS[plan.vendor ?? 'whisperr']
  return Array.from({ length: plan.requestsPerClient }, (_, request) =>
    calls.body(plan, (client * plan.requestsPerClient + request) * plan.eventsPerRequest)
  )
}

function fail(tally: Tally, reason: string): void {
  tally.failures++
  tally.firstFailure ??= reason
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * When a client's request is due: at once after the previous answer, or, paced, at its planned
 * time. Latency counts from the returned time.
 */
async function startOf(plan: LoadPlan, loadStarted: number, request: number): Promise<number> {
  if (plan.paceMs === undefined) return performance.now()
  const planned = loadStarted + request * plan.paceMs
  const wait = planned - performance.now()
  if (wait > 0) await sleep(wait)
  return planned
}

/** Sends one request and tallies its answer; latency counts from `started`. */
async function send(pool: Pool, plan: LoadPlan, body: string, started: number, tally: Tally): Promise<void> {
  try {
    const response = await pool.request({ method: 'POST', path: plan.path, headers: HEADERS, body })
    const text = await response.body.text()
    tally.latenciesMs.push(performance.now() - started)
    const events = CALLS[plan.vendor ?? 'whisperr'].acknowledged(response.statusCode, text)
    if (events === null) {
      fail(tally, `HTTP ${response.statusCode}: ${text.slice(0, 300)}`)
      return
    }
    tally.acknowledgedRequests++
    tally.acknowledgedEvents += events
  } catch (error) {
    fail(tally, error instanceof Error ? `${error.name}: ${error.message}` : String(error))
  }
}

/**
 * One client. Unpaced: a request, wait for its answer, the next request; like an SDK flushing its
 * queue. Paced: each request goes at its planned time whether the previous one was answered or not
 * (it waits in the pool for a free connection), so a stalled server cannot slow the offered load.
 */
async function runClient(
  pool: Pool,
  plan: LoadPlan,
  bodies: string[],
  loadStarted: number,
  deadline: number,
  tally: Tally
) {
  const pending: Promise<void>[] = []
  for (const [index, body] of bodies.entries()) {
    const started = await startOf(plan, loadStarted, index)
    if (performance.now() >= deadline) {
      tally.stoppedByDeadline = true
      break
    }
    const answered = send(pool, plan, body, started, tally)
    if (plan.paceMs === undefined) await answered
    else pending.push(answered)
  }
  await Promise.all(pending)
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
    await Promise.all(
      bodies.map((clientBodies) => runClient(pool, plan, clientBodies, started, deadline, tally))
    )
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
