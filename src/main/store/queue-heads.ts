import type Database from 'better-sqlite3'
import { LANES } from './lanes'

/** A destination's oldest event still to be sent: when it was received, or null when none waits. */
export interface QueueHead {
  destination: string
  receivedAt: number | null
}

/**
 * The oldest waiting event of a destination (queued, retrying or in flight): the lowest id of the
 * delivery queue. Ids are given in the order events are committed, and each event's received_at is
 * its commit's time, so the lowest id is the earliest received. The queue's index is by lane, so
 * the lowest id is the least of the 64 lanes' heads: 64 index seeks whatever the queue holds
 * (the claim reads its lanes the same way, outbox.ts CLAIM_SQL.lanes), never a scan of the queue.
 */
export const QUEUE_HEAD_SQL = `
  WITH RECURSIVE lanes (lane) AS (SELECT 0 UNION ALL SELECT lane + 1 FROM lanes WHERE lane < ${LANES - 1})
  SELECT received_at FROM outbox WHERE id = (
    SELECT min((SELECT min(id) FROM outbox INDEXED BY outbox_lanes
      WHERE destination = @destination AND lane = lanes.lane AND status IN ('queued', 'retrying', 'sending')))
    FROM lanes)`

/** The reader's side (it runs in the reader's worker, store/reader.ts): the metrics' backlog age. */
export interface QueueHeadReads {
  queueHeads(destinations: string[]): QueueHead[]
}

export function createQueueHeadReads(db: Database.Database): QueueHeadReads {
  const head = db.prepare(QUEUE_HEAD_SQL).pluck()
  // One read transaction: every destination's head as of the same commit.
  const queueHeads = db.transaction((destinations: string[]): QueueHead[] =>
    destinations.map((destination) => ({
      destination,
      receivedAt: (head.get({ destination }) as number | undefined) ?? null
    }))
  )
  return { queueHeads }
}
