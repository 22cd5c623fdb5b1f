import type Database from 'better-sqlite3'
import type { EventKind } from '@shared/model'
import { openStore, type BatchClaim, type Store } from '../../src/main/store'

/**
 * The real store on a real SQLite file, with faults a test can arm: TEMP triggers (they live
 * only on this connection, the file's schema is untouched) that ask a function of this process
 * whether to fail the next write of their kind. The function's state is outside SQLite, so a
 * fault fires once even when the transaction it broke is rolled back and retried.
 */

interface Faults {
  /** Inserts into the outbox still to pass before one fails; null when none is to fail. */
  insertsBeforeFailure: number | null
  /** The attempt row of a settlement cannot be written. */
  settlement: boolean
  /** No outbox row can be updated (the claim cannot even be given back). */
  update: boolean
}

const FAULT_TRIGGERS = `
  CREATE TEMP TRIGGER model_insert_fault BEFORE INSERT ON main.outbox WHEN model_fault('insert')
    BEGIN SELECT RAISE(ABORT, 'injected: the disk refused the insert'); END;
  CREATE TEMP TRIGGER model_settlement_fault BEFORE INSERT ON main.attempts WHEN model_fault('settlement')
    BEGIN SELECT RAISE(ABORT, 'injected: the settlement could not be written'); END;
  CREATE TEMP TRIGGER model_update_fault BEFORE UPDATE ON main.outbox WHEN model_fault('update')
    BEGIN SELECT RAISE(ABORT, 'injected: the disk refused the update'); END;`

/** An outbox row as the invariants compare it. */
export interface RealRow {
  id: number
  destination: string
  messageId: string
  kind: string
  userKey: string | null
  lane: number
  upstreamParams: string | null
  receivedText: string
  payload: string
  bytes: number
  status: string
  nextAttemptAt: number
  leaseUntil: number | null
  attempts: number
  sentAt: number | null
  discardedAt: number | null
}

export interface CountRow {
  destination: string
  status: string
  n: number
  bytes: number
}

/** The reads the invariants make, prepared once per connection. */
function prepareReads(db: Database.Database) {
  return {
    idOf: db.prepare('SELECT id FROM outbox WHERE destination = ? AND message_id = ?').pluck(),
    rows: db.prepare(`
      SELECT id, destination, message_id AS messageId, kind, user_key AS userKey, lane,
             upstream_params AS upstreamParams, coalesce(received_payload, payload) AS receivedText,
             payload, bytes, status, next_attempt_at AS nextAttemptAt, lease_until AS leaseUntil,
             attempts, sent_at AS sentAt, discarded_at AS discardedAt
      FROM outbox ORDER BY id`),
    statusCounts: db.prepare(
      'SELECT destination, status, n, bytes FROM status_counts ORDER BY destination, status'
    ),
    countedStatuses: db.prepare(`
      SELECT destination, status, count(*) AS n, sum(bytes) AS bytes FROM outbox
      GROUP BY destination, status ORDER BY destination, status`),
    countedBacklog: db.prepare(`
      SELECT count(*) AS events, coalesce(sum(bytes), 0) AS bytes FROM outbox
      WHERE status IN ('queued', 'retrying', 'sending', 'failed')`),
    attemptLinks: db.prepare(`
      SELECT id, attempts, (SELECT count(*) FROM attempt_events WHERE event_id = outbox.id) AS linked
      FROM outbox ORDER BY id`),
    unlinkedAttempts: db.prepare(`
      SELECT id FROM attempts WHERE NOT EXISTS (SELECT 1 FROM attempt_events WHERE attempt_id = attempts.id)`),
    duplicateKeys: db.prepare(
      'SELECT destination, message_id, count(*) AS n FROM outbox GROUP BY destination, message_id HAVING n > 1'
    )
  }
}

export class StoreUnderTest {
  store!: Store
  private reads!: ReturnType<typeof prepareReads>
  private readonly faults: Faults = { insertsBeforeFailure: null, settlement: false, update: false }

  constructor(private readonly file: string) {
    this.open()
  }

  private open(): void {
    this.store = openStore(this.file)
    const { db } = this.store
    // This test proves the outbox's logic, not durability at power loss (the SIGKILL test does):
    // an fsync per write transaction would be two thirds of its time.
    db.pragma('synchronous = OFF')
    db.function('model_fault', (kind: unknown) => (this.fires(kind as string) ? 1 : 0))
    db.exec(FAULT_TRIGGERS)
    this.reads = prepareReads(db)
  }

  private fires(kind: string): boolean {
    if (kind === 'settlement') return this.faults.settlement
    if (kind === 'update') return this.faults.update
    if (this.faults.insertsBeforeFailure === null) return false
    if (--this.faults.insertsBeforeFailure > 0) return false
    this.faults.insertsBeforeFailure = null
    return true
  }

  /** Runs `action` with the faults armed, and disarms them whatever happens. */
  async withFaults<T>(faults: Partial<Faults>, action: () => T | Promise<T>): Promise<T> {
    Object.assign(this.faults, faults)
    try {
      return await action()
    } finally {
      Object.assign(this.faults, { insertsBeforeFailure: null, settlement: false, update: false })
    }
  }

  /** Empties every table, as a fresh file would be (ids start again at 1), for the next run. */
  reset(): void {
    this.store.db.exec(`
      DELETE FROM outbox; DELETE FROM attempts; DELETE FROM user_actions;
      DELETE FROM status_counts; DELETE FROM destination_state; DELETE FROM device_ids;`)
  }

  /** Closes the store and opens it again on the same file, as a restart of the collector does. */
  restart(): void {
    this.store.close()
    this.open()
  }

  close(): void {
    this.store.close()
  }

  /** What a claim would take now, rolled back so that nothing changes. */
  probeClaim(
    destination: string,
    now: number,
    limit: number,
    leaseMs: number,
    sameBatch: (kind: EventKind) => boolean
  ): BatchClaim {
    const { db, outbox } = this.store
    db.exec('SAVEPOINT model_probe')
    try {
      return outbox.claimDueBatch(destination, now, limit, leaseMs, sameBatch)
    } finally {
      db.exec('ROLLBACK TO model_probe; RELEASE model_probe')
    }
  }

  idOf(destination: string, messageId: string): number | undefined {
    return this.reads.idOf.get(destination, messageId) as number | undefined
  }

  rows(): RealRow[] {
    return this.reads.rows.all() as RealRow[]
  }

  /** The trigger-kept ledger (migrations 5 and 6). */
  statusCounts(): CountRow[] {
    return this.reads.statusCounts.all() as CountRow[]
  }

  /** The same, counted from the rows themselves. */
  countedStatuses(): CountRow[] {
    return this.reads.countedStatuses.all() as CountRow[]
  }

  countedBacklog(): { events: number; bytes: number } {
    return this.reads.countedBacklog.get() as { events: number; bytes: number }
  }

  /** Each event's attempt counter beside the attempts linked to it. */
  attemptLinks(): { id: number; attempts: number; linked: number }[] {
    return this.reads.attemptLinks.all() as { id: number; attempts: number; linked: number }[]
  }

  /** Attempts no event links any more: retention must delete them with their last event. */
  unlinkedAttempts(): unknown[] {
    return this.reads.unlinkedAttempts.all()
  }

  /** (destination, message id) pairs stored more than once. */
  duplicateKeys(): unknown[] {
    return this.reads.duplicateKeys.all()
  }
}
