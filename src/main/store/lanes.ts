/**
 * Delivery lanes: every event is stored in one of `LANES` lanes, a stable function of its user
 * key, so that all events of one user (and all events without a user key, which count as one
 * user) share a lane. A claim takes a batch from lanes with nothing in flight, so requests in
 * flight never hold events of the same user, and several requests can go at once even when every
 * batch-sized stretch of the queue holds events of every user (outbox.ts, claimDueBatch).
 *
 * 64 lanes: enough that `sync.concurrency` (default 32) requests find lanes of their own; few
 * enough that a claim looks at every lane's head with one index seek each (~0.1 ms), and that a
 * lane of a deep backlog holds full batches (100,000 events of 500 users: ~1,500 per lane).
 */
export const LANES = 64

/** The SQL name of `laneOf`, registered on the outbox's connection for the migrations that fill lanes. */
export const LANE_FUNCTION = 'outpost_lane'

/**
 * The lane of a user key: FNV-1a over its UTF-16 code units, mixed (MurmurHash3's finalizer, so
 * the low bits depend on every character), modulo LANES. Stored with each event, so it must never
 * change: a change would put a user's older and newer events in different lanes.
 */
export function laneOf(userKey: string | null): number {
  if (userKey === null) return 0
  let hash = 0x811c9dc5
  for (let i = 0; i < userKey.length; i++) {
    hash = Math.imul(hash ^ userKey.charCodeAt(i), 0x01000193)
  }
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b)
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35)
  hash ^= hash >>> 16
  return (hash >>> 0) % LANES
}
