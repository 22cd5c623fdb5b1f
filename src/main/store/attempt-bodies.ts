import { crc32 } from 'node:zlib'
import type Database from 'better-sqlite3'
import type { RequestBodyFrom } from '@shared/model'
import { connectorFor } from '../connectors'
import type { ClaimedEvent } from './outbox'

/**
 * The bodies successful attempts did not store (migration 14), built again when the event detail
 * is read. An `ok` attempt made every event it carried `sent`, and nothing changes a sent event
 * afterwards (edits, device ids, bulk actions and their undo take only unsent statuses; imports
 * never overwrite), so its connector given the same events in the order they were sent builds the
 * same bytes. The order is the events' ids: a claim leases each batch sorted by id (outbox.ts),
 * and attempt_events_attempt, (attempt_id) with the key's event_id after it, reads them so.
 *
 * Only the body is rebuilt: the connector is given a stand-in key, never the real one, and the
 * attempt's stored, masked headers remain its record. A body that held the key was stored.
 * The rebuild is checked against the length and CRC-32 of the bytes sent: events deleted since by
 * retention (an attempt goes with the last of them), or another version of the connector, give an
 * `unavailable` body with the reason, never another body shown as the one sent.
 */

/** Given to buildRequest instead of the key: a rebuilt body never depends on it (rebuildableBody). */
const STAND_IN_KEY = 'outpost-rebuild-without-key'

/** An attempt whose body was not stored, with what checks its rebuild. */
export interface BodyToRebuild {
  attemptId: number
  vendor: string
  batchSize: number
  bytes: number
  crc32: number
}

export type RebuiltBody = { from: RequestBodyFrom; body: string }

function unavailable(reason: string): RebuiltBody {
  return { from: { kind: 'unavailable', reason }, body: '' }
}

export function createAttemptBodies(db: Database.Database) {
  // `attempts` as leased: the settlement added one to each event's count.
  const selectCarried = db.prepare(`
    SELECT o.id, o.message_id AS messageId, o.kind, o.payload, o.upstream_params AS upstreamParams,
      o.attempts - 1 AS attempts
    FROM attempt_events ae INDEXED BY attempt_events_attempt JOIN outbox o ON o.id = ae.event_id
    WHERE ae.attempt_id = ? ORDER BY ae.event_id`)

  /** The body the attempt sent, built again from its events; or why that cannot be done. */
  function rebuild(attempt: BodyToRebuild): RebuiltBody {
    const connector = connectorFor(attempt.vendor)
    if (!connector) return unavailable(`this Outpost has no ${attempt.vendor} connector to rebuild it`)
    const events = selectCarried.all(attempt.attemptId) as ClaimedEvent[]
    if (events.length !== attempt.batchSize) {
      return unavailable(
        `${attempt.batchSize - events.length} of the ${attempt.batchSize} events it carried were deleted since (retention), so it cannot be rebuilt`
      )
    }
    let body: string
    try {
      body = connector.buildRequest(events, { apiKey: STAND_IN_KEY }).body
    } catch (error) {
      return unavailable(`rebuilding it failed: ${(error as Error).message}`)
    }
    if (Buffer.byteLength(body) !== attempt.bytes || crc32(body) !== attempt.crc32) {
      return unavailable(
        `rebuilt from its events it is not the bytes sent (this Outpost's ${connector.label} connector builds requests differently)`
      )
    }
    return { from: { kind: 'rebuilt' }, body }
  }

  return { rebuild }
}

export type AttemptBodies = ReturnType<typeof createAttemptBodies>
