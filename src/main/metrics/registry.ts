import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { DestinationHold, EventStatus } from '@shared/model'
import type { QueueHead } from '../store/queue-heads'
import type { LedgerRow } from '../store/queries'
import type { AttemptOutcome } from '../sync/worker'
import type { OutboxLimits } from '../ingest/group-commit'

/**
 * The collector's Prometheus metrics (docs/architecture.md, Metrics). Counters are moved where
 * the collector already counts (a commit, a settlement, an answer); gauges are read at a scrape
 * from what is kept anyway: the status_counts ledger (a few rows), each worker's state, and the
 * queue's oldest event from the reader's worker thread. A scrape never scans the outbox.
 *
 * Counters count since the process started: a restart begins them at 0 again, which Prometheus
 * reads as a counter reset (rate() and increase() carry on across it). Nothing is counted twice:
 * the counts are not rebuilt from the outbox at start.
 */

export interface MetricsDestination {
  id: string
  vendor: string
}

export interface MetricsSources {
  /** The `device` label of every series: `fleet.deviceId`. */
  deviceId: string
  destinations: readonly MetricsDestination[]
  /** status_counts as it is now (store/queries.ts statusLedger): a few rows, read on the main thread. */
  ledger(): LedgerRow[]
  /** A destination's hold now (the worker's state: its destination_state row, one primary-key read). */
  hold(destination: string): DestinationHold
  /** Each destination's oldest waiting event, read by the reader's worker thread. */
  queueHeads(destinations: string[]): Promise<QueueHead[]>
  /** Why the collector would not take events now, or null (readiness.ts). */
  problems(): readonly ReadinessProblem[]
  limits: OutboxLimits
  now(): number
}

export type ReadinessProblem = 'database_closed' | 'outbox_damaged' | 'disk_full' | 'outbox_full'
const READINESS_PROBLEMS: readonly ReadinessProblem[] = [
  'database_closed',
  'outbox_damaged',
  'disk_full',
  'outbox_full'
]

/** Statuses Outpost will still send by itself: the backlog (the console's and Activity's too). */
const WAITING: readonly EventStatus[] = ['queued', 'retrying', 'sending']
/** Statuses the outbox's bounds count (outbox.ts BACKLOG_STATUSES): failed events wait for a person. */
const UNDELIVERED: readonly EventStatus[] = [...WAITING, 'failed']
const HOLDS: readonly Exclude<DestinationHold, null>[] = ['paused', 'not_configured', 'auth', 'offline']
const ATTEMPT_OUTCOMES: readonly AttemptOutcome[] = ['ok', 'retry', 'auth', 'permanent', 'no_answer']

/**
 * How long a scrape waits for the reader's answer before it shows the heads it read last: the
 * reader answers in order, and a long search ahead of it must not make the scrape time out.
 */
const QUEUE_HEADS_WAIT_MS = 2_000

const LATENCY_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]
const COMMIT_SECONDS_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1]
const COMMIT_REQUESTS_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]
const COMMIT_EVENTS_BUCKETS = [1, 5, 10, 50, 100, 500, 1000, 5000, 10000]

const PER_DESTINATION = ['destination', 'vendor'] as const

function createFamilies(registry: Registry) {
  const registers = [registry]
  return {
    received: new Counter({
      name: 'outpost_events_received_total',
      help: 'Events stored for a destination since the process started (duplicates not counted)',
      labelNames: PER_DESTINATION,
      registers
    }),
    delivered: new Counter({
      name: 'outpost_events_delivered_total',
      help: 'Events the upstream accepted since the process started',
      labelNames: PER_DESTINATION,
      registers
    }),
    failed: new Counter({
      name: 'outpost_events_failed_total',
      help: 'Events refused for good (they wait for a person) since the process started',
      labelNames: PER_DESTINATION,
      registers
    }),
    discarded: new Counter({
      name: 'outpost_events_discarded_total',
      help: 'Events a person discarded since the process started (an undo does not lower it)',
      labelNames: PER_DESTINATION,
      registers
    }),
    backlogEvents: new Gauge({
      name: 'outpost_backlog_events',
      help: 'Events waiting to be sent (queued, retrying or in flight)',
      labelNames: PER_DESTINATION,
      registers
    }),
    backlogBytes: new Gauge({
      name: 'outpost_backlog_bytes',
      help: 'Payload bytes of the events waiting to be sent',
      labelNames: PER_DESTINATION,
      registers
    }),
    failedEvents: new Gauge({
      name: 'outpost_failed_events',
      help: 'Events refused for good and kept for a person to edit, resend or discard',
      labelNames: PER_DESTINATION,
      registers
    }),
    oldestAge: new Gauge({
      name: 'outpost_backlog_oldest_age_seconds',
      help: 'How long the oldest event waiting to be sent has waited (0 when none waits; absent until first read)',
      labelNames: PER_DESTINATION,
      registers
    }),
    attempts: new Counter({
      name: 'outpost_delivery_attempts_total',
      help: 'Upstream requests by outcome: ok, retry, auth, permanent, no_answer',
      labelNames: [...PER_DESTINATION, 'outcome'],
      registers
    }),
    latency: new Histogram({
      name: 'outpost_upstream_latency_seconds',
      help: 'Time from sending an upstream request to its answer (requests that got one)',
      labelNames: PER_DESTINATION,
      buckets: LATENCY_BUCKETS,
      registers
    }),
    hold: new Gauge({
      name: 'outpost_destination_hold',
      help: 'Why a destination does not send now: 1 for its hold (paused, not_configured, auth, offline), else 0',
      labelNames: [...PER_DESTINATION, 'hold'],
      registers
    }),
    ingestRequests: new Counter({
      name: 'outpost_ingest_requests_total',
      help: 'Requests to a destination’s ingest routes by the status code answered',
      labelNames: [...PER_DESTINATION, 'code'],
      registers
    }),
    rejected: new Counter({
      name: 'outpost_rejected_requests_total',
      help: 'Ingest requests refused, by the error code of the answer (the Rejected view lists the latest)',
      labelNames: ['destination', 'reason'],
      registers
    }),
    commitRequests: new Histogram({
      name: 'outpost_group_commit_requests',
      help: 'Requests acknowledged by one group commit',
      buckets: COMMIT_REQUESTS_BUCKETS,
      registers
    }),
    commitEvents: new Histogram({
      name: 'outpost_group_commit_events',
      help: 'Events written by one group commit',
      buckets: COMMIT_EVENTS_BUCKETS,
      registers
    }),
    commitSeconds: new Histogram({
      name: 'outpost_group_commit_duration_seconds',
      help: 'Time of one group commit’s transaction, fsync included',
      buckets: COMMIT_SECONDS_BUCKETS,
      registers
    }),
    outboxEvents: new Gauge({
      name: 'outpost_outbox_events',
      help: 'Undelivered events (waiting and failed): what storage.maxEvents bounds',
      registers
    }),
    outboxBytes: new Gauge({
      name: 'outpost_outbox_bytes',
      help: 'Payload bytes of undelivered events: what storage.maxBytes bounds',
      registers
    }),
    outboxMaxEvents: new Gauge({
      name: 'outpost_outbox_max_events',
      help: 'storage.maxEvents: beyond it ingest answers 503',
      registers
    }),
    outboxMaxBytes: new Gauge({
      name: 'outpost_outbox_max_bytes',
      help: 'storage.maxBytes: beyond it ingest answers 503',
      registers
    }),
    readinessProblem: new Gauge({
      name: 'outpost_readiness_problem',
      help: 'Why /readyz answers 503: 1 for each problem (database_closed, outbox_damaged, disk_full, outbox_full)',
      labelNames: ['problem'],
      registers
    })
  }
}

type Families = ReturnType<typeof createFamilies>

export interface OutpostMetrics {
  registry: Registry
  /** New events of a destination were committed (duplicates excluded). */
  stored(destination: string, events: number): void
  /** An answer's settlement was committed: `sent` counts as delivered, `failed` as failed. */
  settled(destination: string, status: string, events: number): void
  /** A person discarded events of a destination. */
  discarded(destination: string, events: number): void
  /** An upstream request ended. */
  attempted(destination: string, outcome: AttemptOutcome, seconds: number): void
  /** An ingest route of a destination answered. */
  ingestAnswered(destination: string, status: number): void
  /** An ingest request was refused (the rejection log recorded it). */
  rejected(destination: string | null, reason: string): void
  /** A group commit's transaction ended. */
  committed(requests: number, events: number, seconds: number): void
  /** The text format of every family, its gauges read now. */
  render(): Promise<string>
  /** The collector is stopping: a read still out is no failure. */
  close(): void
  contentType: string
}

function sum(rows: LedgerRow[], statuses: readonly EventStatus[], field: 'n' | 'bytes'): number {
  return rows.reduce((total, row) => (statuses.includes(row.status) ? total + row[field] : total), 0)
}

export function createOutpostMetrics(sources: MetricsSources): OutpostMetrics {
  const registry = new Registry()
  registry.setDefaultLabels({ device: sources.deviceId })
  const families = createFamilies(registry)
  // Memory, CPU, handles, event-loop lag (monitorEventLoopDelay: sampled by libuv, not a timer of ours).
  collectDefaultMetrics({ register: registry })
  const vendorOf = new Map(sources.destinations.map((destination) => [destination.id, destination.vendor]))
  const labelsOf = (destination: string) => ({ destination, vendor: vendorOf.get(destination) ?? '' })
  zeroCounters(families, sources.destinations)
  families.outboxMaxEvents.set(sources.limits.maxEvents)
  families.outboxMaxBytes.set(sources.limits.maxBytes)

  let heads = new Map<string, number | null>()
  let headsReading: Promise<void> | null = null
  let closed = false

  /** Asks the reader for the queue heads; a scrape waits at most QUEUE_HEADS_WAIT_MS for them. */
  async function freshHeads(): Promise<void> {
    headsReading ??= sources
      .queueHeads(sources.destinations.map((destination) => destination.id))
      .then((read) => {
        heads = new Map(read.map((head) => [head.destination, head.receivedAt]))
      })
      .catch((error: unknown) => {
        if (!closed) console.error('[outpost] metrics: reading the backlog age failed', error)
      })
      .finally(() => {
        headsReading = null
      })
    let timer: NodeJS.Timeout | undefined
    const waited = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, QUEUE_HEADS_WAIT_MS)
    })
    await Promise.race([headsReading, waited])
    clearTimeout(timer)
  }

  function setGauges(): void {
    const ledger = sources.ledger()
    const now = sources.now()
    for (const { id } of sources.destinations) {
      const labels = labelsOf(id)
      const rows = ledger.filter((row) => row.destination === id)
      const waiting = sum(rows, WAITING, 'n')
      families.backlogEvents.set(labels, waiting)
      families.backlogBytes.set(labels, sum(rows, WAITING, 'bytes'))
      families.failedEvents.set(labels, sum(rows, ['failed'], 'n'))
      const head = heads.get(id)
      // Not read yet (the reader's thread starts with its first read): no sample rather than a 0 that says none waits.
      if (waiting > 0 && head === undefined) families.oldestAge.remove(labels)
      else families.oldestAge.set(labels, waiting > 0 && head != null ? Math.max(0, now - head) / 1000 : 0)
      const hold = sources.hold(id)
      for (const each of HOLDS) families.hold.set({ ...labels, hold: each }, hold === each ? 1 : 0)
    }
    families.outboxEvents.set(sum(ledger, UNDELIVERED, 'n'))
    families.outboxBytes.set(sum(ledger, UNDELIVERED, 'bytes'))
    const problems = sources.problems()
    for (const problem of READINESS_PROBLEMS) {
      families.readinessProblem.set({ problem }, problems.includes(problem) ? 1 : 0)
    }
  }

  return {
    registry,
    stored(destination, events) {
      if (events > 0) families.received.inc(labelsOf(destination), events)
    },
    settled(destination, status, events) {
      if (status === 'sent') families.delivered.inc(labelsOf(destination), events)
      else if (status === 'failed') families.failed.inc(labelsOf(destination), events)
    },
    discarded(destination, events) {
      if (events > 0) families.discarded.inc(labelsOf(destination), events)
    },
    attempted(destination, outcome, seconds) {
      const labels = labelsOf(destination)
      families.attempts.inc({ ...labels, outcome })
      if (outcome !== 'no_answer') families.latency.observe(labels, seconds)
    },
    ingestAnswered(destination, status) {
      families.ingestRequests.inc({ ...labelsOf(destination), code: String(status) })
    },
    rejected(destination, reason) {
      families.rejected.inc({ destination: destination ?? '', reason })
    },
    committed(requests, events, seconds) {
      families.commitRequests.observe(requests)
      families.commitEvents.observe(events)
      families.commitSeconds.observe(seconds)
    },
    async render() {
      await freshHeads()
      setGauges()
      return registry.metrics()
    },
    close() {
      closed = true
    },
    contentType: registry.contentType
  }
}

/** Every destination's counters exist from the start, at 0: increase() needs the series before its first event. */
function zeroCounters(families: Families, destinations: readonly MetricsDestination[]): void {
  for (const { id, vendor } of destinations) {
    const labels = { destination: id, vendor }
    for (const counter of [families.received, families.delivered, families.failed, families.discarded])
      counter.inc(labels, 0)
    for (const outcome of ATTEMPT_OUTCOMES) families.attempts.inc({ ...labels, outcome }, 0)
  }
}
