/**
 * A data folder whose outbox holds 1,000,000 queued events behind 50,000 already delivered, built
 * once per `npm run bench` and shared by the benchmarks that need a big outbox (each works on a
 * copy, so none sees another's writes).
 *
 * Built through the real store (openStore, store.outbox.enqueueEvents, claimDueBatch and
 * settleAttempt), so rows, indexes, status counts and attempts are what Outpost itself writes, and
 * its payload search index beside it with the indexer's own steps (buildSearchIndex). Only
 * the build runs with synchronous=OFF and 10,000 events per transaction: durability is not what is
 * measured here, and the build takes seconds instead of minutes. The collector opens the file
 * later with its own pragmas.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseConfig, type OutpostConfig } from '../../src/main/config'
import { openStore, type NewEvent, type Store } from '../../src/main/store'
import { openSearchIndexWriter, searchIndexFileOf } from '../../src/main/store/search-index'
import { copyDataFolder } from './data-folder'
import { realisticEvent, type WhisperrTrackEvent } from './events'

/** Set by bench/run.mjs: a folder that lives as long as the run, for data built once per run. */
export const CACHE_DIR_ENV = 'OUTPOST_BENCH_CACHE'

export const MAIN_DESTINATION = 'whisperr'
/** A second Whisperr project taking one event in ten: a filter that matches a small share. */
export const SMALL_DESTINATION = 'whisperr_eu'
export const MILLION_API_KEY = 'wk_bench_million'

const QUEUED_EVENTS = 1_000_000
const DELIVERED_EVENTS = 50_000
const EVENTS_PER_TRANSACTION = 10_000
const DELIVERY_BATCH = 500
/** One delivered batch in this many was refused by the vendor: its events wait, failed, for a person. */
const FAILED_BATCH_EVERY = 50
const DAY_MS = 86_400_000

export interface MillionOutbox {
  /** The data folder as built; copy it (copyMillionOutbox) before running a collector on it. */
  dataDir: string
  /** The config file of a collector on it (both destinations paused, bounds above 1M events). */
  configFile: string
  config: OutpostConfig
  counts: { queued: number; sent: number; failed: number; total: number }
  /** Sum of the stored events' payload bytes: the raw JSON the clients sent. */
  payloadBytes: number
  /** Values the UI's filters look for, taken from the data. */
  samples: {
    /** A user with one event in 500. */
    userKey: string
    /** An event name in about two events of five. */
    nameFragment: string
    /** A name and user no event has. */
    missingText: string
    /** The message id of one queued event in the middle of the queue. */
    messageId: string
    /** The id of that event. */
    middleQueuedId: number
    /** The upstream request that carried the newest failed batch. */
    failedAttemptId: number
    /** A payload value (a session id) in 40 events. */
    payloadRare: string
    /** A payload value (an experiment's variant) in half the events. */
    payloadHalf: string
  }
  /** When the events were received: the delivered ones from `first`, the queued ones from `queuedFrom` to `last`. */
  received: { first: number; queuedFrom: number; last: number }
  /** The payload search index, built as the indexer's worker builds it: how long, and its file's size. */
  searchIndex: { buildMs: number; bytes: number }
  buildMs: number
}

const isSmallDestination = (sequence: number) => sequence % 10 === 9

function cacheRoot(): string {
  const configured = process.env[CACHE_DIR_ENV]
  if (configured) return configured
  // Run outside bench/run.mjs: a folder of this process, removed when it exits.
  const own = mkdtempSync(join(tmpdir(), 'outpost-bench-cache-'))
  process.env[CACHE_DIR_ENV] = own
  process.once('exit', () => rmSync(own, { recursive: true, force: true }))
  return own
}

/** The stored form of a Whisperr track event, as the Whisperr connector stores it. */
function stored(destination: string, event: WhisperrTrackEvent): NewEvent {
  return {
    destination,
    messageId: event.context.$message_id,
    kind: 'track',
    name: event.event_type,
    userKey: event.external_user_id,
    occurredAt: Date.parse(event.occurred_at),
    payload: JSON.stringify(event),
    upstreamParams: null
  }
}

function millionConfig(): unknown {
  // Paused, so the address is never called; bounds above the built backlog, so ingest still takes events.
  const destination = (id: string) => ({
    id,
    vendor: 'whisperr',
    baseUrl: 'http://127.0.0.1:9',
    apiKey: MILLION_API_KEY
  })
  return {
    ingest: { host: '127.0.0.1', port: 0 },
    destinations: [destination(MAIN_DESTINATION), destination(SMALL_DESTINATION)],
    storage: { maxEvents: 2_000_000, maxBytes: 4 * 1024 ** 3, retentionDays: 7 }
  }
}

/** Enqueues `count` events from `firstSequence` on, received evenly from `fromMs` to `toMs`. */
function enqueue(store: Store, firstSequence: number, count: number, fromMs: number, toMs: number): number {
  let payloadBytes = 0
  for (let start = 0; start < count; start += EVENTS_PER_TRANSACTION) {
    const size = Math.min(EVENTS_PER_TRANSACTION, count - start)
    const events = Array.from({ length: size }, (_, offset) => {
      const sequence = firstSequence + start + offset
      const destination = isSmallDestination(sequence) ? SMALL_DESTINATION : MAIN_DESTINATION
      const event = stored(destination, realisticEvent(`million-${sequence}`, sequence))
      payloadBytes += Buffer.byteLength(event.payload)
      return event
    })
    store.outbox.enqueueEvents([events], fromMs + ((toMs - fromMs) * start) / count)
  }
  return payloadBytes
}

/** Delivers every queued event of a destination in batches of 500; one batch in 50 is refused. */
function deliverAll(store: Store, destination: string, at: number): { sent: number; failed: number } {
  let batch = 0
  const delivered = { sent: 0, failed: 0 }
  for (;;) {
    const claim = store.outbox.claimDueBatch(destination, at, DELIVERY_BATCH, 60_000, () => true)
    if (claim.kind !== 'claimed') return delivered
    const ids = claim.events.map((event) => event.id)
    const refused = ++batch % FAILED_BATCH_EVERY === FAILED_BATCH_EVERY / 2
    store.outbox.settleAttempt(
      {
        destination,
        startedAt: at,
        durationMs: 140,
        status: refused ? 400 : 202,
        outcome: refused ? 'permanent' : 'ok',
        reason: refused ? 'Whisperr refused the request (400)' : 'accepted',
        request: `POST /v1/events/batch (${ids.length} events, ${ids.length * 430} bytes)`,
        responseBody: refused
          ? '{"error":"invalid_request","message":"event 0: occurred_at is too old"}'
          : `{"accepted":${ids.length},"rejected":0}`
      },
      [
        {
          ids,
          settlement: refused
            ? { status: 'failed', error: 'Whisperr refused the request (400)' }
            : { status: 'sent' }
        }
      ],
      at
    )
    delivered[refused ? 'failed' : 'sent'] += ids.length
  }
}

/**
 * Builds the payload search index beside the outbox with the indexer's own steps (on this thread;
 * the collector runs them on a worker thread): the time a collector takes to catch up on this
 * backlog when it has no index (a first start after the upgrade, an index deleted).
 */
function buildSearchIndex(outboxFile: string): MillionOutbox['searchIndex'] {
  const started = performance.now()
  const writer = openSearchIndexWriter(outboxFile)
  try {
    while (writer.step() !== 'idle');
  } finally {
    writer.close()
  }
  return { buildMs: performance.now() - started, bytes: statSync(searchIndexFileOf(outboxFile)).size }
}

function build(dataDir: string): Omit<MillionOutbox, 'dataDir' | 'configFile' | 'config'> {
  const started = performance.now()
  const outboxFile = join(dataDir, 'outbox.sqlite')
  const store = openStore(outboxFile)
  try {
    store.db.pragma('synchronous = OFF')
    const now = Date.now()
    // A week of events: the delivered ones six days ago, the backlog since (retention keeps seven days).
    const deliveredAt = now - 5 * DAY_MS
    let payloadBytes = enqueue(store, 0, DELIVERED_EVENTS, now - 6 * DAY_MS, deliveredAt)
    const main = deliverAll(store, MAIN_DESTINATION, deliveredAt)
    const small = deliverAll(store, SMALL_DESTINATION, deliveredAt)
    payloadBytes += enqueue(store, DELIVERED_EVENTS, QUEUED_EVENTS, deliveredAt, now)
    for (const id of [MAIN_DESTINATION, SMALL_DESTINATION]) store.destinations.setPaused(id, true)

    const middleSequence = DELIVERED_EVENTS + QUEUED_EVENTS / 2 + 9
    const middle = store.db
      .prepare(`SELECT id, message_id AS messageId FROM outbox WHERE destination = ? AND message_id = ?`)
      .get(SMALL_DESTINATION, `million-${middleSequence}`) as { id: number; messageId: string } | undefined
    const failed = store.queries.listEvents({ status: 'failed', limit: 1 }).events[0]
    const failedAttemptId = failed ? store.queries.getEvent(failed.id)?.attemptsLog[0]?.id : undefined
    if (!middle || failedAttemptId === undefined) throw new Error('the built outbox lacks its sample events')
    store.db.pragma('wal_checkpoint(TRUNCATE)')
    store.close()
    const buildMs = performance.now() - started
    const sent = main.sent + small.sent
    const failedCount = main.failed + small.failed
    return {
      counts: { queued: QUEUED_EVENTS, sent, failed: failedCount, total: QUEUED_EVENTS + sent + failedCount },
      payloadBytes,
      samples: {
        userKey: 'user_00042',
        nameFragment: 'checkout',
        missingText: 'refund_issued',
        messageId: middle.messageId,
        middleQueuedId: middle.id,
        failedAttemptId,
        payloadRare: 'sess_12345',
        payloadHalf: 'one_page'
      },
      received: { first: now - 6 * DAY_MS, queuedFrom: deliveredAt, last: now },
      searchIndex: buildSearchIndex(outboxFile),
      buildMs
    }
  } finally {
    if (store.db.open) store.close()
  }
}

/** The 1M outbox of this run: built on first use, then read from the run's cache folder. */
export function millionOutbox(): MillionOutbox {
  const root = join(cacheRoot(), 'million')
  const metaFile = join(root, 'outbox.json')
  const paths = { dataDir: join(root, 'data'), configFile: join(root, 'config.json') }
  if (!existsSync(metaFile)) {
    rmSync(root, { recursive: true, force: true })
    mkdirSync(root, { recursive: true })
    const partial = join(root, 'data.partial')
    const built = build(partial)
    renameSync(partial, paths.dataDir)
    writeFileSync(paths.configFile, JSON.stringify(millionConfig(), null, 2))
    writeFileSync(metaFile, JSON.stringify(built))
  }
  const built = JSON.parse(readFileSync(metaFile, 'utf8')) as Omit<
    MillionOutbox,
    keyof typeof paths | 'config'
  >
  return { ...built, ...paths, config: parseConfig(millionConfig(), 'bench config') }
}

/** A private copy of the 1M data folder, for a collector that will write to it. */
export function copyMillionOutbox(outbox: MillionOutbox, target: string): void {
  copyDataFolder(outbox.dataDir, target)
}
