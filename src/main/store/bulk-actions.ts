import type Database from 'better-sqlite3'
import {
  DISCARDABLE_STATUSES,
  RESENDABLE_STATUSES,
  type BulkAction,
  type EventFilter,
  type EventStatus
} from '@shared/model'
import type { ActedEvent, Actor, Corrections } from './corrections'
import { eventFilterSql } from './event-filter'

/**
 * Ids one chunk reads at most: a chunk is one transaction on the writer's connection, so it holds
 * ingest's commits back for as long as 500 rows take to check and change (a few milliseconds).
 */
export const BULK_CHUNK_IDS = 500

/** The statuses each bulk action takes. */
export const BULK_ACTION_STATUSES: Record<BulkAction, readonly EventStatus[]> = {
  resend: RESENDABLE_STATUSES,
  discard: DISCARDABLE_STATUSES
}

/** What one chunk did: the events it changed, and the last id it read (where the next starts). */
export interface BulkChunk {
  records: ActedEvent[]
  destinations: string[]
  changedByDestination: Record<string, number>
  readThrough: number
}

/** An undo of part of a bulk discard: events put back, and those left alone. */
export interface UndoChunk {
  restored: number
  leftAlone: number
  destinations: string[]
}

interface UndoRow {
  status: EventStatus
  destination: string
  latestAction: number | null
}

/**
 * Resend and discard of every event a filter matches (the list's filters, event-filter.ts: a
 * search reads each event itself, so it is exact), a chunk of ids at a time, each chunk one
 * transaction with its history (corrections.ts); and the undo of a discard, event by event.
 * The connection must have event_matches registered (queries.ts does it on the store's).
 */
export function createBulkActions(db: Database.Database, corrections: Corrections) {
  const statements = new Map<string, Database.Statement>()
  const oldestId = db.prepare(`SELECT coalesce(min(id), 1) - 1 FROM outbox`).pluck()
  const newestId = db.prepare(`SELECT coalesce(max(id), 0) FROM outbox`).pluck()
  const selectUndoRow = db.prepare(`
    SELECT status, destination, (SELECT max(id) FROM user_actions WHERE event_id = outbox.id) AS latestAction
    FROM outbox WHERE id = ?`)
  const restore = db.prepare(`UPDATE outbox SET status = ?, discarded_at = NULL WHERE id = ?`)
  const recordUndo = db.prepare(`
    INSERT INTO user_actions (at, actor, action, event_id, destination, before, after)
    VALUES (@at, @actor, 'undo_discard', @eventId, @destination, 'discarded', @after)`)

  /** The statement choosing a chunk's events, one per filter combination (kept prepared). */
  function chunkStatement(action: BulkAction, filter: EventFilter) {
    const { conditions, params } = eventFilterSql(filter)
    const statuses = BULK_ACTION_STATUSES[action].map((status) => `'${status}'`).join(', ')
    const sql = `SELECT id FROM outbox WHERE id > @after AND id <= @through AND status IN (${statuses})
      ${conditions.map((condition) => `AND ${condition}`).join(' ')} ORDER BY id`
    let prepared = statements.get(sql)
    if (!prepared) {
      prepared = db.prepare(sql).pluck()
      statements.set(sql, prepared)
    }
    return { prepared, params }
  }

  const chunkTransaction = db.transaction(
    (action: BulkAction, filter: EventFilter, after: number, throughId: number, who: Actor): BulkChunk => {
      const readThrough = Math.min(after + BULK_CHUNK_IDS, throughId)
      const { prepared, params } = chunkStatement(action, filter)
      const ids = prepared.all({ ...params, after, through: readThrough }) as number[]
      const act = action === 'resend' ? corrections.resendEvents : corrections.discardEvents
      const result = ids.length === 0 ? null : act(ids, who)
      return {
        records: result?.records ?? [],
        destinations: result?.destinations ?? [],
        changedByDestination: result?.changedByDestination ?? {},
        readThrough
      }
    }
  )

  /**
   * Acts on the filter's events with ids in (after, after + BULK_CHUNK_IDS], never past `throughId`,
   * in one transaction: the filter and the state are read as the change is made.
   */
  const actOnChunk = (
    action: BulkAction,
    filter: EventFilter,
    after: number,
    throughId: number,
    who: Actor
  ): BulkChunk => chunkTransaction(action, filter, after, throughId, who)

  const undoTransaction = db.transaction((discarded: ActedEvent[], who: Actor): UndoChunk => {
    const result: UndoChunk = { restored: 0, leftAlone: 0, destinations: [] }
    for (const event of discarded) {
      const row = selectUndoRow.get(event.id) as UndoRow | undefined
      // Pruned, resent, edited (or discarded again) since: its history has a later row, or none.
      if (!row || row.status !== 'discarded' || row.latestAction !== event.actionId) {
        result.leftAlone++
        continue
      }
      restore.run(event.before, event.id)
      recordUndo.run({ ...who, eventId: event.id, destination: row.destination, after: event.before })
      result.restored++
      if (!result.destinations.includes(row.destination)) result.destinations.push(row.destination)
    }
    return result
  })

  /** Puts discarded events back to the status each had, in one transaction, unless changed since. */
  const undoDiscard = (discarded: ActedEvent[], who: Actor): UndoChunk => undoTransaction(discarded, who)

  return {
    actOnChunk,
    undoDiscard,
    /** Where a run over every event starts: just before the oldest kept. */
    oldestId: () => oldestId.get() as number,
    newestId: () => newestId.get() as number
  }
}

export type BulkActions = ReturnType<typeof createBulkActions>
