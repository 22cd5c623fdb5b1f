/** What each destination did over time: the Activity view's charts and `GET /api/activity`. */

export const ACTIVITY_RANGES = ['hour', 'day'] as const
export type ActivityRange = (typeof ACTIVITY_RANGES)[number]

/** How each range is cut: the last hour a bar a minute, the last day a bar a quarter of an hour. */
export const ACTIVITY_BUCKETS: Record<ActivityRange, { bucketMs: number; count: number }> = {
  hour: { bucketMs: 60_000, count: 60 },
  day: { bucketMs: 15 * 60_000, count: 96 }
}

/** One bar of a destination's chart: what happened from `start` for the range's bucket length. */
export interface ActivityBucket {
  /** ISO time the bucket starts. */
  start: string
  /** Events stored (a duplicate the client sent again is not counted twice). */
  received: number
  /** Events the vendor accepted. */
  delivered: number
  /** Events the vendor refused for good (or that could not be sent): they wait for a person. */
  failed: number
  /**
   * Events waiting to be sent (queued, retrying, in flight) at the bucket's end, or now for the
   * bucket under way; null when Outpost was not running then (nothing was recorded).
   */
  backlog: number | null
}

export interface DestinationActivity {
  destination: string
  /** Oldest first; the last one is under way. */
  buckets: ActivityBucket[]
}

export interface ActivityReport {
  range: ActivityRange
  bucketMs: number
  destinations: DestinationActivity[]
}
