import type Database from 'better-sqlite3'

/**
 * Retention: events finished longer ago than the retention period are deleted, delivered ones
 * (`sent_at`) and ones a person discarded (`discarded_at`), with the delivery attempts no
 * remaining event links, and the request bodies no remaining attempt names.
 *
 * Pruning runs on the thread that answers ingest, so it works in chunks: each call deletes a
 * bounded number of events in its own short transaction, and every statement is an index lookup
 * (outbox_sent_at, outbox_discarded_at, attempt_events' primary key and attempt_events_attempt,
 * attempts_request_body), never a scan, so a chunk costs the same at ten rows or ten million.
 */
export interface Retention {
  /**
   * Deletes up to `maxEvents` events finished before `cutoff`, oldest first, and the attempts
   * that carried only them. Returns how many events went: fewer than `maxEvents` means none is
   * left to prune.
   */
  pruneExpired(cutoff: number, maxEvents: number): number
}

export function createRetention(db: Database.Database): Retention {
  // The newest event is never pruned: SQLite gives a new row the highest id plus one, so while
  // that row stays no id is ever given to a second event (a support note saying "event #5" keeps
  // naming one event).
  const selectExpiredSent = db
    .prepare(
      `SELECT id FROM outbox WHERE status = 'sent' AND sent_at < ? AND id < (SELECT max(id) FROM outbox)
       ORDER BY sent_at LIMIT ?`
    )
    .pluck()
  const selectExpiredDiscarded = db
    .prepare(
      `SELECT id FROM outbox WHERE status = 'discarded' AND discarded_at < ? AND id < (SELECT max(id) FROM outbox)
       ORDER BY discarded_at LIMIT ?`
    )
    .pluck()
  const selectAttemptsOfEvent = db.prepare(`SELECT attempt_id FROM attempt_events WHERE event_id = ?`).pluck()
  // Its attempt_events rows go with it (ON DELETE CASCADE); its history (user_actions) is deleted
  // with it: it belongs to the event, and kept alone it would grow without bound.
  const deleteEvent = db.prepare(`DELETE FROM outbox WHERE id = ?`)
  const deleteHistory = db.prepare(`DELETE FROM user_actions WHERE event_id = ?`)
  const deleteAttemptIfUnlinked = db
    .prepare(
      `DELETE FROM attempts WHERE id = @id AND NOT EXISTS (SELECT 1 FROM attempt_events WHERE attempt_id = @id)
       RETURNING request_body_id`
    )
    .pluck()
  // A body is shared by the attempts that sent it (migration 12): it goes with the last of them.
  const deleteBodyIfUnused = db.prepare(`
    DELETE FROM request_bodies WHERE id = @id AND NOT EXISTS (SELECT 1 FROM attempts WHERE request_body_id = @id)`)

  const pruneExpired = db.transaction((cutoff: number, maxEvents: number): number => {
    const sent = selectExpiredSent.all(cutoff, maxEvents) as number[]
    const discarded = selectExpiredDiscarded.all(cutoff, maxEvents - sent.length) as number[]
    // One request carries up to 500 events: its attempt goes with the last of them, in this
    // chunk or a later one.
    const attemptIds = new Set<number>()
    for (const id of [...sent, ...discarded]) {
      for (const attemptId of selectAttemptsOfEvent.all(id) as number[]) attemptIds.add(attemptId)
      deleteEvent.run(id)
      deleteHistory.run(id)
    }
    const bodyIds = new Set<number>()
    for (const id of attemptIds) {
      const bodyId = deleteAttemptIfUnlinked.get({ id }) as number | null | undefined
      if (typeof bodyId === 'number') bodyIds.add(bodyId)
    }
    for (const id of bodyIds) deleteBodyIfUnused.run({ id })
    return sent.length + discarded.length
  })

  return { pruneExpired }
}
