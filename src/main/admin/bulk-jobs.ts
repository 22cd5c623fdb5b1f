import { setImmediate as nextTurn } from 'node:timers/promises'
import type { BulkAction, BulkActionProgress, EventFilter, UndoOutcome } from '@shared/model'
import { CorrectionError, type ActedEvent, type Actor } from '../store'
import type { BulkActions } from '../store/bulk-actions'
import { NotFoundError } from './service'

/**
 * How long a bulk discard can be undone after it ends. Kept in memory only: a restart forgets
 * every undo (what was discarded stays in each event's history).
 */
export const UNDO_WINDOW_MS = 10 * 60_000

/** Events an undo puts back per transaction, as a chunk of the action itself. */
const UNDO_CHUNK_EVENTS = 500

/** Bulk actions remembered for polling; the oldest finished ones are forgotten past this. */
const JOBS_KEPT = 50

export interface BulkJobsDeps {
  bulk: BulkActions
  now(): number
  /** After each chunk: the UI refetches, and delivery looks at the destinations with events waiting again. */
  changed(destinations: string[]): void
  /** Events of each destination a chunk discarded (the metrics count them). */
  discarded?(byDestination: Record<string, number>): void
}

interface Job {
  progress: BulkActionProgress
  /** A discard's events as each was before it: what its undo puts back. */
  discarded: ActedEvent[]
  finishedAt: number | null
  undoing: boolean
}

export interface StartInput {
  action: BulkAction
  filter: EventFilter
  throughId: number
  expected: number
}

/**
 * Bulk actions run in the background a chunk at a time (store/bulk-actions.ts), yielding to the
 * event loop between chunks so ingest's requests and commits go on; the UI polls their progress.
 */
export function createBulkJobs(deps: BulkJobsDeps) {
  const jobs = new Map<number, Job>()
  let lastId = 0

  function forgetOld(): void {
    for (const [id, job] of jobs) {
      if (jobs.size <= JOBS_KEPT) return
      if (job.progress.state !== 'running') jobs.delete(id)
    }
  }

  function requireJob(id: number): Job {
    const job = jobs.get(id)
    if (!job) throw new NotFoundError(`No bulk action #${id} (they are forgotten at a restart)`)
    return job
  }

  /** The progress as the caller sees it now: an undo that ran out of time says so. */
  function progressOf(job: Job): BulkActionProgress {
    const open =
      job.finishedAt !== null && !job.progress.undone && deps.now() < job.finishedAt + UNDO_WINDOW_MS
    const undoable = job.progress.action === 'discard' && job.progress.state === 'done' && open
    return {
      ...job.progress,
      undoableUntil: undoable ? new Date((job.finishedAt as number) + UNDO_WINDOW_MS).toISOString() : null
    }
  }

  async function run(job: Job, input: StartInput, who: Actor): Promise<void> {
    let after = deps.bulk.oldestId()
    try {
      while (after < input.throughId) {
        const chunk = deps.bulk.actOnChunk(input.action, input.filter, after, input.throughId, who)
        after = chunk.readThrough
        job.progress.changed += chunk.records.length
        if (input.action === 'discard') {
          job.discarded.push(...chunk.records)
          deps.discarded?.(chunk.changedByDestination)
        }
        if (chunk.records.length > 0) deps.changed(chunk.destinations)
        await nextTurn()
      }
      job.progress.state = 'done'
    } catch (error) {
      job.progress.state = 'failed'
      job.progress.error = (error as Error).message
    } finally {
      job.finishedAt = deps.now()
    }
  }

  /** Starts acting on the filter's events up to `throughId`; each chunk is recorded as done by `actor`. */
  function start(input: StartInput, actor: string): BulkActionProgress {
    const job: Job = {
      progress: {
        id: ++lastId,
        action: input.action,
        state: 'running',
        expected: input.expected,
        changed: 0,
        error: null,
        undoableUntil: null,
        undone: false
      },
      discarded: [],
      finishedAt: null,
      undoing: false
    }
    jobs.set(job.progress.id, job)
    forgetOld()
    // The first chunk runs on a later turn: the answer says the action started, not how it ends.
    void nextTurn().then(() => run(job, input, { actor, at: deps.now() }))
    return progressOf(job)
  }

  function get(id: number): BulkActionProgress {
    return progressOf(requireJob(id))
  }

  /** Puts a finished discard's events back, a chunk at a time; events changed since are left alone. */
  async function undo(id: number, actor: string): Promise<UndoOutcome> {
    const job = requireJob(id)
    if (job.undoing) throw new CorrectionError(`Bulk action #${id} is being undone already`)
    if (progressOf(job).undoableUntil === null) {
      throw new CorrectionError(
        job.progress.action !== 'discard'
          ? `Bulk action #${id} is a resend: only a discard can be undone`
          : job.progress.state === 'running'
            ? `Bulk action #${id} is still running: undo it once it ends`
            : `Bulk action #${id} can no longer be undone (undone already, or more than 10 minutes ago)`
      )
    }
    job.undoing = true
    const outcome: UndoOutcome = { restored: 0, leftAlone: 0 }
    const who = { actor, at: deps.now() }
    try {
      for (let start = 0; start < job.discarded.length; start += UNDO_CHUNK_EVENTS) {
        const chunk = deps.bulk.undoDiscard(job.discarded.slice(start, start + UNDO_CHUNK_EVENTS), who)
        outcome.restored += chunk.restored
        outcome.leftAlone += chunk.leftAlone
        if (chunk.restored > 0) deps.changed(chunk.destinations)
        await nextTurn()
      }
    } finally {
      job.undoing = false
      job.progress.undone = true
    }
    return outcome
  }

  return { start, get, undo }
}

export type BulkJobs = ReturnType<typeof createBulkJobs>
