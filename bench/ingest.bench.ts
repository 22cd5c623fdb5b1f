/**
 * Ingest: acknowledged events per second and latency of Outpost against two baselines measured in
 * the same run, under the same load from the peer process (see docs/benchmarks.md, "Method").
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runPrefix } from './support/events'
import { DESTINATION, startBenchOutpost, type TransactionTally } from './support/outpost'
import { usePeerWithWhisperr, type Peer } from './support/peer'
import type { LoadPlan, LoadReport } from './support/peer-protocol'
import { startCommitPerRequestServer, startParseOnlyServer } from './support/raw-servers'
import { format, recordResult, type ResultTable } from './support/results'
import { median, perSecond } from './support/stats'

const CLIENTS = 32
const ROUNDS = 5
const MAX_LOAD_MS = 30_000
const API_KEY = 'wk_bench'

interface Shape {
  label: string
  path: string
  eventsPerRequest: number
  requestsPerClient: number
  /** Sent to each fresh server before measuring: JIT, connections and SQLite pages warm up. */
  warmupRequestsPerClient: number
  /** The target for Outpost's rate: this share of a baseline's. */
  target: { share: number; of: 'parse' | 'commit' }
}

const SHAPES: Shape[] = [
  {
    label: 'Single events (POST /v1/events/track)',
    path: `/${DESTINATION}/v1/events/track`,
    eventsPerRequest: 1,
    requestsPerClient: 250,
    warmupRequestsPerClient: 25,
    target: { share: 0.5, of: 'parse' }
  },
  {
    label: 'Batches of 100 (POST /v1/events/batch)',
    path: `/${DESTINATION}/v1/events/batch`,
    eventsPerRequest: 100,
    requestsPerClient: 30,
    warmupRequestsPerClient: 2,
    target: { share: 1.5, of: 'commit' }
  }
]

/** A server started fresh for one measurement, with its own empty database. */
interface RunningTarget {
  origin: string
  /** The transactions that stored events so far; null for the server that stores nothing. */
  transactions(): TransactionTally | null
  close(): Promise<void>
}

type TargetId = 'parse' | 'commit' | 'outpost'

interface Target {
  id: TargetId
  label: string
  start(upstreamUrl: string): Promise<RunningTarget>
}

const TARGETS: Target[] = [
  {
    id: 'parse',
    label: 'A: node:http, JSON.parse, 202 (HTTP ceiling)',
    async start() {
      const server = await startParseOnlyServer()
      return { ...server, transactions: () => null }
    }
  },
  {
    id: 'commit',
    label: 'B: node:http + SQLite, one transaction per request',
    async start() {
      const dir = mkdtempSync(join(tmpdir(), 'outpost-bench-b-'))
      const server = await startCommitPerRequestServer(join(dir, 'events.sqlite'))
      return {
        origin: server.origin,
        transactions: server.transactions,
        async close() {
          await server.close()
          rmSync(dir, { recursive: true, force: true })
        }
      }
    }
  },
  {
    id: 'outpost',
    label: 'Outpost (fastify, validation, group commit)',
    async start(upstreamUrl) {
      const outpost = await startBenchOutpost({ upstreamUrl, apiKey: API_KEY, paused: true })
      return { origin: outpost.origin, transactions: outpost.ingestTransactions, close: outpost.close }
    }
  }
]

interface Sample {
  eventsPerSecond: number
  p50Ms: number
  p99Ms: number
  requests: number
  events: number
  /** The transactions of the measured load: how many, and the time spent in them. */
  transactions: TransactionTally | null
  /**
   * The share of the load's time this process's event loop was busy (the server runs here; the
   * load generator in the peer process): the rest it waited for requests.
   */
  busyShare: number
}

function load(peer: Peer, origin: string, shape: Shape, requestsPerClient: number): Promise<LoadReport> {
  const plan: LoadPlan = {
    origin,
    path: shape.path,
    eventsPerRequest: shape.eventsPerRequest,
    clients: CLIENTS,
    requestsPerClient,
    maxDurationMs: MAX_LOAD_MS,
    messageIdPrefix: runPrefix('ingest')
  }
  return peer.call({ type: 'load', plan })
}

/** Every request acknowledged: a faster run that dropped requests would prove nothing. */
function expectAllAcknowledged(report: LoadReport, shape: Shape, requestsPerClient: number): void {
  expect(report.firstFailure).toBeNull()
  expect(report.stoppedByDeadline).toBe(false)
  expect(report.acknowledgedEvents).toBe(CLIENTS * requestsPerClient * shape.eventsPerRequest)
}

async function measure(peer: Peer, target: Target, shape: Shape, upstreamUrl: string): Promise<Sample> {
  const running = await target.start(upstreamUrl)
  try {
    expectAllAcknowledged(
      await load(peer, running.origin, shape, shape.warmupRequestsPerClient),
      shape,
      shape.warmupRequestsPerClient
    )
    const before = running.transactions()
    const loopBefore = performance.eventLoopUtilization()
    const report = await load(peer, running.origin, shape, shape.requestsPerClient)
    const busyShare = performance.eventLoopUtilization(loopBefore).utilization
    expectAllAcknowledged(report, shape, shape.requestsPerClient)
    const after = running.transactions()
    return {
      eventsPerSecond: perSecond(report.acknowledgedEvents, report.elapsedMs),
      busyShare,
      p50Ms: report.p50Ms,
      p99Ms: report.p99Ms,
      requests: report.acknowledgedRequests,
      events: report.acknowledgedEvents,
      transactions:
        before === null || after === null
          ? null
          : { runs: after.runs - before.runs, ms: after.ms - before.ms }
    }
  } finally {
    await running.close()
  }
}

/** Every target once per round, in a rotated order so none always runs first or last. */
async function measureShape(peer: Peer, shape: Shape, upstreamUrl: string): Promise<Map<TargetId, Sample[]>> {
  const samples = new Map<TargetId, Sample[]>(TARGETS.map((target) => [target.id, []]))
  for (let round = 0; round < ROUNDS; round++) {
    const order = [...TARGETS.slice(round % TARGETS.length), ...TARGETS.slice(0, round % TARGETS.length)]
    for (const target of order) samples.get(target.id)?.push(await measure(peer, target, shape, upstreamUrl))
  }
  return samples
}

interface Summary {
  eventsPerSecond: number
  rates: number[]
  p50Ms: number
  p99Ms: number
  /** Requests and events per committed transaction over all rounds; null when nothing is stored. */
  requestsPerCommit: number | null
  eventsPerCommit: number | null
  /** Microseconds per event spent in those transactions, commit included; null when nothing is stored. */
  transactionUsPerEvent: number | null
  /** Microseconds per event the event loop was busy, at the median rate and busy share. */
  busyUsPerEvent: number
}

function summarize(samples: Sample[]): Summary {
  const rates = samples.map((sample) => sample.eventsPerSecond)
  const commits = samples.reduce((sum, sample) => sum + (sample.transactions?.runs ?? 0), 0)
  const transactionMs = samples.reduce((sum, sample) => sum + (sample.transactions?.ms ?? 0), 0)
  const stored = samples.every((sample) => sample.transactions !== null) && commits > 0
  const total = (key: 'requests' | 'events') => samples.reduce((sum, sample) => sum + sample[key], 0)
  return {
    eventsPerSecond: median(rates),
    rates,
    p50Ms: median(samples.map((sample) => sample.p50Ms)),
    p99Ms: median(samples.map((sample) => sample.p99Ms)),
    requestsPerCommit: stored ? total('requests') / commits : null,
    eventsPerCommit: stored ? total('events') / commits : null,
    transactionUsPerEvent: stored ? (transactionMs * 1000) / total('events') : null,
    busyUsPerEvent: (1e6 / median(rates)) * median(samples.map((sample) => sample.busyShare))
  }
}

function summaryOf(summaries: Map<TargetId, Summary>, id: TargetId): Summary {
  const summary = summaries.get(id)
  if (!summary) throw new Error(`no samples for ${id}`)
  return summary
}

function tableOf(shape: Shape, summaries: Map<TargetId, Summary>): ResultTable {
  const ceiling = summaryOf(summaries, 'parse').eventsPerSecond
  const perRequestCommit = summaryOf(summaries, 'commit').eventsPerSecond
  return {
    caption: `${shape.label}: ${CLIENTS} clients × ${shape.requestsPerClient} requests, median of ${ROUNDS} rounds`,
    columns: [
      'Server',
      'events/s',
      'range of rounds',
      'p50 ms',
      'p99 ms',
      'requests per commit',
      'µs per event in transactions',
      'vs A',
      'vs B'
    ],
    rows: TARGETS.map((target) => {
      const summary = summaryOf(summaries, target.id)
      return [
        target.label,
        format.count(summary.eventsPerSecond),
        format.range(summary.rates),
        format.ms(summary.p50Ms),
        format.ms(summary.p99Ms),
        summary.requestsPerCommit === null ? '–' : summary.requestsPerCommit.toFixed(1),
        summary.transactionUsPerEvent === null ? '–' : summary.transactionUsPerEvent.toFixed(1),
        format.ratio(summary.eventsPerSecond / ceiling),
        format.ratio(summary.eventsPerSecond / perRequestCommit)
      ]
    })
  }
}

const TARGET_BASELINES = { parse: 'the HTTP ceiling A', commit: 'baseline B' } as const

/**
 * What bounds Outpost's rate, from the same rounds. Per event, its one thread spends time in the
 * group commits (inserts, the outbox's indexes and trigger, the commit and its fsync), in the rest
 * of its work, and waiting for requests. The best any one-thread server with this outbox could do
 * is the transaction plus the least work per event a server does at all: the ceiling A's busy time.
 */
function boundOf(shape: Shape, summaries: Map<TargetId, Summary>): string[] {
  const ceiling = summaryOf(summaries, 'parse')
  const perRequestCommit = summaryOf(summaries, 'commit')
  const outpost = summaryOf(summaries, 'outpost')
  const transactionUs = outpost.transactionUsPerEvent
  if (transactionUs === null) return []
  const us = (value: number) => `${value.toFixed(1)} µs`
  const perEventUs = 1e6 / outpost.eventsPerSecond
  const bound = 1e6 / (ceiling.busyUsPerEvent + transactionUs)
  const target = shape.target.share * summaryOf(summaries, shape.target.of).eventsPerSecond
  return [
    `${shape.label}: where Outpost's ${us(perEventUs)} per event went: ${us(transactionUs)} in its group commits ` +
      '(store.outbox.enqueueEvents timed around each run: the inserts with the outbox’s indexes and ' +
      'status-count trigger, and the commit with its fsync, which holds the thread), ' +
      `${us(Math.max(0, outpost.busyUsPerEvent - transactionUs))} in the rest of its work (HTTP with fastify, ` +
      'JSON.parse, vendor validation, finding each event’s text), and ' +
      `${us(Math.max(0, perEventUs - outpost.busyUsPerEvent))} with its event loop idle, waiting for requests. ` +
      `B spent ${us(perRequestCommit.transactionUsPerEvent ?? Number.NaN)} per event in its transactions; ` +
      `A's thread was busy ${us(ceiling.busyUsPerEvent)} per event.`,
    `${shape.label}: with this outbox's transaction as measured and nothing else costing more than A's ` +
      `whole work, Outpost could acknowledge at most ${format.count(bound)} events/s ` +
      `(${format.ratio(bound / perRequestCommit.eventsPerSecond)} B, ${format.ratio(bound / ceiling.eventsPerSecond)} A); ` +
      (outpost.eventsPerSecond < bound
        ? `it reached ${((outpost.eventsPerSecond / bound) * 100).toFixed(0)} % of that.`
        : 'it is at that bound, within the noise of this run’s A.'),
    `${shape.label}: the issue's target is ${format.ratio(shape.target.share)} ${TARGET_BASELINES[shape.target.of]}, ` +
      `${format.count(target)} events/s: ${outpost.eventsPerSecond >= target ? 'met' : 'missed'}` +
      (bound >= target
        ? '.'
        : `, and out of reach with this outbox: it leaves ${us(1e6 / target)} per event for all the work, and ` +
          `the transaction with A's work takes ${us(1e6 / bound)}.`)
  ]
}

function findingsOf(shape: Shape, summaries: Map<TargetId, Summary>): string[] {
  const ceiling = summaryOf(summaries, 'parse')
  const perRequestCommit = summaryOf(summaries, 'commit')
  const outpost = summaryOf(summaries, 'outpost')
  const share = (outpost.eventsPerSecond / ceiling.eventsPerSecond) * 100
  return [
    `${shape.label}: Outpost acknowledged ${format.count(outpost.eventsPerSecond)} events/s, ` +
      `${share.toFixed(0)} % of the HTTP ceiling and ${format.ratio(outpost.eventsPerSecond / perRequestCommit.eventsPerSecond)} ` +
      `baseline B; p99 latency ${format.ms(outpost.p99Ms)} ms against ${format.ms(perRequestCommit.p99Ms)} ms for B.`,
    `${shape.label}: one Outpost transaction (one fsync) acknowledged on average ` +
      `${outpost.requestsPerCommit?.toFixed(1) ?? '?'} requests (${outpost.eventsPerCommit?.toFixed(0) ?? '?'} events); ` +
      `baseline B commits once per request.`,
    ...boundOf(shape, summaries)
  ]
}

describe('ingest throughput', () => {
  // Outpost's destination points at the mock Whisperr but stays paused: nothing is delivered.
  const whisperrPeer = usePeerWithWhisperr(API_KEY)

  it('measures Outpost against the HTTP ceiling and a commit-per-request server', async () => {
    const tables: ResultTable[] = []
    const findings: string[] = []
    for (const shape of SHAPES) {
      const samples = await measureShape(whisperrPeer.peer, shape, whisperrPeer.upstreamUrl)
      const summaries = new Map([...samples].map(([id, list]) => [id, summarize(list)]))
      tables.push(tableOf(shape, summaries))
      findings.push(...findingsOf(shape, summaries))
    }
    recordResult('1-ingest', {
      order: 1,
      title: 'Ingest: acknowledged events per second',
      method: [
        `The load comes from a separate peer process (undici Pool, ${CLIENTS} keep-alive clients, each sending its ` +
          'next request when the previous one is answered), so the server under test keeps one of the two cores. ' +
          'Bodies are realistic Whisperr events (about 430 bytes of JSON each, unique message ids), built before the ' +
          'clock starts. A run only counts if every request was answered 202.',
        'Each measurement starts a fresh server with an empty database, warms it up with a short load, then measures ' +
          `a fixed number of requests (bounded by ${MAX_LOAD_MS / 1000} s). The three servers are measured ${ROUNDS} times ` +
          'each, in rotated order; tables show the median round and the range.',
        'A reads the body, JSON.parse, answers 202: the HTTP ceiling. B also inserts the request’s events into ' +
          'SQLite (WAL, synchronous=FULL) in a transaction of its own before answering: durability without group ' +
          'commit (for a batch, one transaction per request, not one per event). Outpost is the real collector ' +
          '(startCollector, a temp data folder, its Whisperr destination paused): fastify, vendor validation, the ' +
          'outbox schema and the group-commit writer.',
        '"requests per commit" counts the transactions that stored the events: for Outpost, runs of ' +
          'store.outbox.enqueueEvents, observed by wrapping better-sqlite3’s transaction() in the bench. ' +
          '"µs per event in transactions" is the time those runs took, commit and fsync included, over the events ' +
          'they stored: while a transaction runs, the one thread that answers requests does nothing else, so it ' +
          'bounds the rate any server with that table could reach. How busy each server’s thread was comes from ' +
          'its event loop’s utilization over the measured load (the servers run in the bench’s process, the load ' +
          'in the peer’s).'
      ],
      tables,
      findings
    })
  })
})
