import type { Backlog } from '../store'
import { isDamage, isDiskFull } from '../store/storage-errors'
import type { OutboxLimits } from '../ingest/group-commit'
import type { ReadinessProblem } from './registry'

export interface ReadinessSources {
  /** Whether the outbox's connection is open (better-sqlite3's `open`). */
  databaseOpen(): boolean
  /** The undelivered events and bytes (the status_counts ledger): what the outbox's bounds count. */
  backlog(): Backlog
  limits: OutboxLimits
}

/**
 * Whether the collector takes events now, for `/readyz` and `outpost_readiness_problem`. What a
 * write met is learnt from the ingest commits themselves (no probe writes): a damaged outbox stays
 * damaged until `outpost recover`; a full disk lasts until the next commit succeeds; the outbox is
 * full while its undelivered events or bytes are at their bound (a request of one event would be
 * refused).
 */
export function createReadiness(sources: ReadinessSources) {
  let damaged = false
  let diskFull = false

  function problems(): ReadinessProblem[] {
    if (!sources.databaseOpen()) return ['database_closed']
    const found: ReadinessProblem[] = []
    if (damaged) found.push('outbox_damaged')
    if (diskFull) found.push('disk_full')
    const backlog = sources.backlog()
    if (backlog.events >= sources.limits.maxEvents || backlog.bytes >= sources.limits.maxBytes)
      found.push('outbox_full')
    return found
  }

  return {
    problems,
    /** An ingest commit succeeded: the disk had room. */
    committed(): void {
      diskFull = false
    },
    /** An ingest commit failed: remember what it says of the storage. */
    commitFailed(error: unknown): void {
      if (isDamage(error)) damaged = true
      if (isDiskFull(error)) diskFull = true
    }
  }
}

export type Readiness = ReturnType<typeof createReadiness>

const PROBLEM_WORDS: Record<ReadinessProblem, string> = {
  database_closed: 'The outbox database is closed: Outpost is stopping',
  outbox_damaged:
    'The outbox database is damaged: ingest answers 503 outbox_damaged. Stop Outpost and run `outpost recover --data-dir <its data folder>`',
  disk_full:
    'The disk was full at the last commit: ingest answers 503 disk_full until a commit finds room. Free space on the disk of the data folder',
  outbox_full:
    'The outbox is at its bound (storage.maxEvents or storage.maxBytes): ingest answers 503 outbox_full until delivery catches up'
}

/** `/readyz`'s answer for the problems found: 200 with none, else 503 naming each. */
export function readinessAnswer(problems: readonly ReadinessProblem[]): { status: number; body: object } {
  if (problems.length === 0) return { status: 200, body: { status: 'ready' } }
  return {
    status: 503,
    body: {
      status: 'not_ready',
      error: problems[0],
      message: problems.map((problem) => PROBLEM_WORDS[problem]).join('; '),
      problems
    }
  }
}
