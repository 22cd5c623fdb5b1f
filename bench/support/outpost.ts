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
  /** How many transactions stored ingested events (the group commits) since the collector started. */
  ingestCommits(): number
  close(): Promise<void>
}

export interface BenchOutpostOptions {
  upstreamUrl: string
  apiKey: string
  /** Paused: events are stored and held, so no delivery competes with ingest. */
  paused: boolean
}

type TransactionBody = Parameters<Database.Database['transaction']>[0]

/**
 * Runs `open` while better-sqlite3's `transaction()` wraps each transaction body it is given with a
 * run counter, and answers the count of a transaction function by identity afterwards. This
 * observes the group commits from the bench without changing src: the store creates its
 * transactions when it opens, and `store.outbox.enqueueEvents` is one of them. The wrapper costs
 * one increment per transaction, nothing per event.
 */
async function countingTransactionRuns<T>(open: () => Promise<T>) {
  const runs = new Map<unknown, { count: number }>()
  const original = Database.prototype.transaction
  Database.prototype.transaction = function countRuns<F extends TransactionBody>(
    this: Database.Database,
    body: F
  ) {
    const counter = { count: 0 }
    const counted = function (this: unknown, ...args: Parameters<F>): unknown {
      counter.count++
      return body.apply(this, args)
    }
    const transaction = original.call(this, counted as F)
    runs.set(transaction, counter)
    return transaction
  }
  try {
    const value = await open()
    return { value, runsOf: (transaction: unknown) => runs.get(transaction)?.count ?? 0 }
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
  const { value: collector, runsOf } = await countingTransactionRuns(() =>
    startCollector({ config, dataDir, port: 0, adminToken: 'bench', rendererDir: null, env: {} })
  )
  if (options.paused) await collector.api.pauseDestination({ id: DESTINATION })
  return {
    origin: collector.url,
    collector,
    ingestCommits: () => runsOf(collector.store.outbox.enqueueEvents),
    async close() {
      await collector.close()
      rmSync(dataDir, { recursive: true, force: true })
    }
  }
}
