import type Database from 'better-sqlite3'
import {
  DISCARDABLE_STATUSES,
  EDITABLE_STATUSES,
  RESENDABLE_STATUSES,
  type EventKind,
  type EventStatus
} from '@shared/model'
import { laneOf } from './lanes'

/** Who did it and when: every correction is recorded in user_actions. */
export interface Actor {
  actor: string
  at: number
}

/** What an edit changes: the payload to send, and what the list shows of it. */
export interface PayloadEdit {
  payload: string
  name: string
  userKey: string | null
  occurredAt: number | null
}

/** What an edit, or a preview of the requests an event makes, reads of the event. */
export interface EditTarget {
  id: number
  destination: string
  messageId: string
  kind: EventKind
  name: string
  status: EventStatus
  payload: string
  /** The client's payload: `payload` until the first edit. */
  receivedPayload: string
  upstreamParams: string | null
  attempts: number
}

export interface BulkResult {
  changed: number[]
  /** Ids left as they were: unknown, or in a state the action does not apply to. */
  skipped: number[]
  /** Destinations with events that became waiting: their workers should look again. */
  destinations: string[]
  /** Each changed event's status before, and its user_actions row: what an undo checks and restores. */
  records: ActedEvent[]
  /** How many events of each destination changed (the metrics count discards by destination). */
  changedByDestination: Record<string, number>
}

/** One event a correction changed: what it was, and the history row that says so. */
export interface ActedEvent {
  id: number
  before: EventStatus
  actionId: number
}

export class CorrectionError extends Error {
  override name = 'CorrectionError'
}

interface Row {
  id: number
  destination: string
  status: EventStatus
  payload: string
}

/**
 * What people do to stored events: edit a payload, resend, discard. Each runs in one
 * transaction with its user_actions row; the backlog follows from the status counts' triggers.
 */
export function createCorrections(db: Database.Database) {
  const selectTarget = db.prepare(`
    SELECT id, destination, message_id AS messageId, kind, name, status, payload,
      coalesce(received_payload, payload) AS receivedPayload, upstream_params AS upstreamParams, attempts
    FROM outbox WHERE id = ?`)
  const selectRow = db.prepare(`SELECT id, destination, status, payload FROM outbox WHERE id = ?`)
  const selectBatch = db.prepare(
    `SELECT event_id AS id FROM attempt_events WHERE attempt_id = ? ORDER BY event_id`
  )
  const updatePayload = db.prepare(`
    UPDATE outbox SET received_payload = coalesce(received_payload, payload), payload = @payload,
      name = @name, user_key = @userKey, lane = @lane, occurred_at = @occurredAt, bytes = @bytes,
      revision = revision + 1
    WHERE id = @id`)
  const requeue = db.prepare(
    `UPDATE outbox SET status = 'queued', next_attempt_at = ?, lease_until = NULL, discarded_at = NULL WHERE id = ?`
  )
  const discard = db.prepare(
    `UPDATE outbox SET status = 'discarded', lease_until = NULL, discarded_at = ? WHERE id = ?`
  )
  const recordAction = db.prepare(`
    INSERT INTO user_actions (at, actor, action, event_id, destination, before, after)
    VALUES (@at, @actor, @action, @eventId, @destination, @before, @after)`)

  function target(id: number): EditTarget | null {
    return (selectTarget.get(id) as EditTarget | undefined) ?? null
  }

  const editTransaction = db.transaction((id: number, edit: PayloadEdit, who: Actor): boolean => {
    const row = selectRow.get(id) as Row | undefined
    if (!row) throw new CorrectionError(`Event #${id} no longer exists`)
    if (!EDITABLE_STATUSES.includes(row.status)) {
      throw new CorrectionError(
        `Event #${id} is ${row.status}: only events waiting, failed or discarded can be edited`
      )
    }
    if (edit.payload === row.payload) return false
    const bytes = Buffer.byteLength(edit.payload)
    // Another user key is another user: the event moves to that user's lane (lanes.ts).
    updatePayload.run({ id, ...edit, bytes, lane: laneOf(edit.userKey) })
    recordAction.run({
      ...who,
      action: 'edit',
      eventId: id,
      destination: row.destination,
      before: row.payload,
      after: edit.payload
    })
    return true
  })

  /** Saves an edited payload as a new revision; the payload as received is kept. False when unchanged. */
  const editPayload = (id: number, edit: PayloadEdit, who: Actor): boolean => editTransaction(id, edit, who)

  /** Applies `change` to every listed event in one of `from`, in one transaction; the rest are skipped. */
  function bulk(
    action: 'resend' | 'discard',
    from: readonly EventStatus[],
    to: EventStatus,
    change: (row: Row, who: Actor) => void
  ) {
    const transaction = db.transaction((ids: number[], who: Actor): BulkResult => {
      const result: BulkResult = {
        changed: [],
        skipped: [],
        destinations: [],
        records: [],
        changedByDestination: {}
      }
      for (const id of ids) {
        const row = selectRow.get(id) as Row | undefined
        if (!row || !from.includes(row.status)) {
          result.skipped.push(id)
          continue
        }
        change(row, who)
        const recorded = recordAction.run({
          ...who,
          action,
          eventId: id,
          destination: row.destination,
          before: row.status,
          after: to
        })
        result.changed.push(id)
        result.records.push({ id, before: row.status, actionId: Number(recorded.lastInsertRowid) })
        if (!result.destinations.includes(row.destination)) result.destinations.push(row.destination)
        result.changedByDestination[row.destination] = (result.changedByDestination[row.destination] ?? 0) + 1
      }
      return result
    })
    return (ids: number[], who: Actor): BulkResult => transaction(ids, who)
  }

  /** Failed or discarded events go back to the queue, due now, with their message ids unchanged. */
  const resendEvents = bulk('resend', RESENDABLE_STATUSES, 'queued', (row, who) =>
    requeue.run(who.at, row.id)
  )

  const discardEvents = bulk('discard', DISCARDABLE_STATUSES, 'discarded', (row, who) =>
    discard.run(who.at, row.id)
  )

  /** The events one upstream request carried, for "resend this batch". */
  function eventsOfAttempt(attemptId: number): number[] {
    return (selectBatch.all(attemptId) as { id: number }[]).map((row) => row.id)
  }

  return { target, editPayload, resendEvents, discardEvents, eventsOfAttempt }
}

export type Corrections = ReturnType<typeof createCorrections>
