import type { Retention } from '../store'

/** A few hundred events: one chunk holds the thread for ~5 ms, fsync included (measured by the soak test). */
const PRUNE_CHUNK_EVENTS = 500
/**
 * How long the pruner rests once nothing is due: events are kept at most this much longer than
 * the retention period, and a check that finds nothing costs two index lookups.
 */
const PRUNE_IDLE_MS = 2_000

export interface PruningOptions {
  retention: Retention
  retentionMs: number
  now(): number
  /** Called after a chunk deleted events (the counts the UI shows changed). */
  onPruned(): void
  chunkEvents?: number
  idleMs?: number
}

export interface Pruning {
  stop(): void
}

/**
 * Prunes expired events continuously, one chunk per turn of the event loop: while chunks come
 * back full there is more due, and the next runs after pending I/O (setImmediate), so ingest and
 * delivery are answered between chunks; once a chunk comes back short the pruner rests.
 */
export function startPruning(options: PruningOptions): Pruning {
  const chunkEvents = options.chunkEvents ?? PRUNE_CHUNK_EVENTS
  const idleMs = options.idleMs ?? PRUNE_IDLE_MS
  let cancel = runNextTurn()

  function runNextTurn(): () => void {
    const immediate = setImmediate(runChunk).unref()
    return () => clearImmediate(immediate)
  }

  function restThenRun(): () => void {
    const timer = setTimeout(runChunk, idleMs).unref()
    return () => clearTimeout(timer)
  }

  function runChunk(): void {
    let pruned: number
    try {
      pruned = options.retention.pruneExpired(options.now() - options.retentionMs, chunkEvents)
    } catch (error) {
      // A busy or full disk: nothing was deleted (the chunk is one transaction); try again later.
      console.error('[outpost] pruning expired events failed', error)
      cancel = restThenRun()
      return
    }
    if (pruned > 0) options.onPruned()
    cancel = pruned === chunkEvents ? runNextTurn() : restThenRun()
  }

  return { stop: () => cancel() }
}
