import type { Retention } from '../store'

/** A few hundred events: one chunk holds the thread for ~5 ms, fsync included (measured by the soak test). */
const PRUNE_CHUNK_EVENTS = 500
/**
 * How long the pruner rests once nothing is due: events are kept at most this much longer than
 * the retention period, and a check that finds nothing costs two index lookups.
 */
const PRUNE_IDLE_MS = 2_000
/**
 * The most chunks one turn runs while pruning is behind. Delivery writes every answer of a turn in
 * one transaction, so with many requests in flight one turn can deliver thousands of events; one
 * chunk of 500 a turn fell behind them (the soak test: 300,000 events at ~10,000 a second, rows
 * grew without bound). Four chunks hold the thread ~20-40 ms, and only while events are due.
 */
const PRUNE_MAX_CHUNKS_PER_TURN = 4

export interface PruningOptions {
  retention: Retention
  retentionMs: number
  now(): number
  /** Called after a chunk deleted events (the counts the UI shows changed). */
  onPruned(): void
  chunkEvents?: number
  idleMs?: number
  maxChunksPerTurn?: number
}

export interface Pruning {
  stop(): void
}

/**
 * Prunes expired events continuously, in chunks, each turn of the event loop: while chunks come
 * back full there is more due, and the next turn runs after pending I/O (setImmediate), so ingest
 * and delivery are answered between turns; each turn that ends on a full chunk runs twice as many
 * chunks the next (up to maxChunksPerTurn), so pruning keeps pace with what delivery finishes;
 * once a chunk comes back short the pruner rests, and starts again at one chunk a turn.
 */
export function startPruning(options: PruningOptions): Pruning {
  const chunkEvents = options.chunkEvents ?? PRUNE_CHUNK_EVENTS
  const idleMs = options.idleMs ?? PRUNE_IDLE_MS
  const maxChunksPerTurn = options.maxChunksPerTurn ?? PRUNE_MAX_CHUNKS_PER_TURN
  let chunksThisTurn = 1
  let cancel = runNextTurn()

  function runNextTurn(): () => void {
    const immediate = setImmediate(runTurn).unref()
    return () => clearImmediate(immediate)
  }

  function restThenRun(): () => void {
    const timer = setTimeout(runTurn, idleMs).unref()
    return () => clearTimeout(timer)
  }

  function runTurn(): void {
    let pruned = 0
    let behind = false
    try {
      for (let chunk = 0; chunk < chunksThisTurn; chunk++) {
        const deleted = options.retention.pruneExpired(options.now() - options.retentionMs, chunkEvents)
        pruned += deleted
        behind = deleted === chunkEvents
        if (!behind) break
      }
    } catch (error) {
      // A busy or full disk: nothing of that chunk was deleted (it is one transaction); try again later.
      console.error('[outpost] pruning expired events failed', error)
      if (pruned > 0) options.onPruned()
      chunksThisTurn = 1
      cancel = restThenRun()
      return
    }
    if (pruned > 0) options.onPruned()
    chunksThisTurn = behind ? Math.min(chunksThisTurn * 2, maxChunksPerTurn) : 1
    cancel = behind ? runNextTurn() : restThenRun()
  }

  return { stop: () => cancel() }
}
