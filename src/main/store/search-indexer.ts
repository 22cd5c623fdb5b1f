import { Worker } from 'node:worker_threads'
import { restrictToOwner } from '../file-modes'
import { searchIndexFileOf, type IndexProgress } from './search-index'
import { workerFile } from './worker-file'

/**
 * The indexer: a worker thread that keeps the payload search index (search-index.ts) up to date with
 * the outbox, in a file of its own, so that nothing of it runs on the thread that answers ingest and
 * none of its writes takes the outbox's write lock. It looks for new events and edits every
 * `idleMs` when it has nothing to do; a search reads what it has not reached from the outbox itself.
 */
export interface SearchIndexer {
  /** How far the index is, as the worker last said; null before it said anything. */
  progress(): IndexProgress | null
  /** Stops the worker (a step in progress is finished). */
  close(): Promise<void>
}

/** The worker's startup data. */
export interface IndexerData {
  outboxFile: string
  idleMs: number
  retryMs: number
}

export type IndexerMessage =
  { kind: 'progress'; progress: IndexProgress } | { kind: 'error'; message: string }

const IDLE_MS = 250
const RETRY_MS = 5_000

export function startSearchIndexer(
  outboxFile: string,
  options: { idleMs?: number; retryMs?: number } = {}
): SearchIndexer {
  // An index an older Outpost left readable by others is tightened now, not when the worker opens it.
  const indexFile = searchIndexFileOf(outboxFile)
  restrictToOwner(indexFile, `${indexFile}-wal`, `${indexFile}-shm`)
  const data: IndexerData = {
    outboxFile,
    idleMs: options.idleMs ?? IDLE_MS,
    retryMs: options.retryMs ?? RETRY_MS
  }
  const worker = new Worker(workerFile('search-indexer-worker'), { workerData: data })
  let progress: IndexProgress | null = null
  let lastError: string | null = null
  worker.on('message', (message: IndexerMessage) => {
    if (message.kind === 'progress') {
      progress = message.progress
      lastError = null
    } else if (message.message !== lastError) {
      lastError = message.message
      console.warn(`[outpost] the search index could not be brought up to date: ${message.message}`)
    }
  })
  worker.on('error', (error) => console.warn(`[outpost] the search indexer stopped: ${error.message}`))
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()))
  return {
    progress: () => progress,
    async close() {
      worker.postMessage('stop')
      await exited
    }
  }
}
