import Database from 'better-sqlite3'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startCollector, type Collector } from '../../src/main/collector'
import { parseConfig } from '../../src/main/config'

export const DESTINATION = 'whisperr'

export interface BenchOutpost {
  /** `http://127.0.0.1:PORT` */
  origin: string
  collector: Collector
  /** The transactions that stored ingested events (the group commits) since the collector started. */
  ingestTransactions(): TransactionTally
  close(): Promise<void>
}

export interface BenchOutpostOptions {
  upstreamUrl: string
  apiKey: string
  /** Paused: events are stored and held, so no delivery competes with ingest. */
  paused: boolean
}

type TransactionBody = Parameters<Database.Database['transaction']>[0]

/** Runs of one transaction function, and the milliseconds spent in them, commit (and fsync) included. */
export interface TransactionTally {
  runs: number
  ms: number
}

/**
 * Runs `open` while better-sqlite3's `transaction()` returns each transaction function wrapped in
 * a tally of its runs and their time, and answers the tally of a transaction function by identity
 * afterwards. This observes the group commits from the bench without changing src: the store
 * creates its transactions when it opens, and `store.outbox.enqueueEvents` is one of them. The
 * wrapper costs two clock reads per transaction, nothing per event.
 */
async function tallyingTransactions<T>(open: () => Promise<T>) {
  const tallies = new Map<unknown, TransactionTally>()
  const original = Database.prototype.transaction
  Database.prototype.transaction = function tallied<F extends TransactionBody>(
    this: Database.Database,
    body: F
  ) {
    const transaction = original.call(this, body) as Database.Transaction<F>
    const run = transaction as unknown as (...args: unknown[]) => unknown
    const tally: TransactionTally = { runs: 0, ms: 0 }
    const timed = function (this: unknown, ...args: unknown[]): unknown {
      const started = performance.now()
      try {
        return run.apply(this, args)
      } finally {
        tally.runs++
        tally.ms += performance.now() - started
      }
    }
    const { deferred, immediate, exclusive } = transaction
    const wrapped = Object.assign(timed, { default: transaction.default, deferred, immediate, exclusive })
    tallies.set(wrapped, tally)
    return wrapped as unknown as Database.Transaction<F>
  }
  try {
    const value = await open()
    return { value, tallyOf: (transaction: unknown) => ({ runs: 0, ms: 0, ...tallies.get(transaction) }) }
  } finally {
    Database.prototype.transaction = original
  }
}

/** The real collector on 127.0.0.1:0 with a fresh data folder and one Whisperr destination. */
export async function startBenchOutpost(options: BenchOutpostOptions): Promise<BenchOutpost> {
  const dataDir = mkdtempSync(join(tmpdir(), 'outpost-bench-'))
  const config = parseConfig({
    ingest: { host: '127.0.0.1', port: 0 },
    destinations: [
      { id: DESTINATION, vendor: 'whisperr', baseUrl: options.upstreamUrl, apiKey: options.apiKey }
    ]
  })
  const { value: collector, tallyOf } = await tallyingTransactions(() =>
    startCollector({ config, dataDir, port: 0, adminToken: 'bench', rendererDir: null, env: {} })
  )
  if (options.paused) await collector.api.pauseDestination({ id: DESTINATION })
  return {
    origin: collector.url,
    collector,
    ingestTransactions: () => tallyOf(collector.store.outbox.enqueueEvents),
    async close() {
      await collector.close()
      rmSync(dataDir, { recursive: true, force: true })
    }
  }
}
