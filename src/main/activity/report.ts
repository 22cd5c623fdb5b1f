import {
  ACTIVITY_BUCKETS,
  type ActivityBucket,
  type ActivityRange,
  type ActivityReport
} from '@shared/activity'
import type { ActivityMinute } from '../store'
import { MINUTE_MS, minuteOf, type MinuteCounts, type UnwrittenMinutes } from './recorder'

/** The first minute a range shows at `now`: buckets end at multiples of their length since the epoch. */
export function firstMinuteOf(range: ActivityRange, now: number): number {
  const { bucketMs, count } = ACTIVITY_BUCKETS[range]
  return minuteOf(Math.floor(now / bucketMs) * bucketMs - (count - 1) * bucketMs)
}

export interface ActivityInput {
  range: ActivityRange
  now: number
  /** The configured destinations, in the order the charts show them. */
  destinations: string[]
  /**
   * Minutes read from the activity table, from firstMinuteOf(range, now) on: each minute, or
   * a bucket's minutes summed as its latest minute (ActivityReads.activityBuckets).
   */
  written: ActivityMinute[]
  /** Counts not written yet (the minute under way, and any whose write is still to come). */
  unwritten: UnwrittenMinutes
  /** Events waiting to be sent now, by destination. */
  backlogNow: Map<string, number>
}

/** A bucket being summed, with the minute its backlog was read at (the latest wins). */
interface Summing extends ActivityBucket {
  backlogMinute: number
}

/**
 * Cuts the minutes into the range's buckets, per destination: counts add up, the backlog is the
 * one of the bucket's latest minute. A minute not yet written counts as recorded (the collector
 * runs), its backlog is the one now; a bucket without any minute recorded has a null backlog.
 */
export function activityReport(input: ActivityInput): ActivityReport {
  const { bucketMs, count } = ACTIVITY_BUCKETS[input.range]
  const firstMinute = firstMinuteOf(input.range, input.now)
  const minutesPerBucket = bucketMs / MINUTE_MS
  const currentMinute = minuteOf(input.now)
  const charts = new Map<string, Summing[]>(
    input.destinations.map((destination) => [
      destination,
      Array.from({ length: count }, (_, index) => ({
        start: new Date((firstMinute + index * minutesPerBucket) * MINUTE_MS).toISOString(),
        received: 0,
        delivered: 0,
        failed: 0,
        backlog: null,
        backlogMinute: -Infinity
      }))
    ])
  )

  function add(destination: string, minute: number, counts: MinuteCounts, backlog: number | null): void {
    const bucket = charts.get(destination)?.[Math.floor((minute - firstMinute) / minutesPerBucket)]
    if (!bucket) return
    bucket.received += counts.received
    bucket.delivered += counts.delivered
    bucket.failed += counts.failed
    if (backlog !== null && minute >= bucket.backlogMinute) {
      bucket.backlog = backlog
      bucket.backlogMinute = minute
    }
  }

  const none: MinuteCounts = { received: 0, delivered: 0, failed: 0 }
  for (const row of input.written) add(row.destination, row.minute, row, row.backlog)
  for (const [minute, destinations] of input.unwritten) {
    for (const [destination, counts] of destinations)
      add(destination, minute, counts, input.backlogNow.get(destination) ?? 0)
  }
  for (const destination of input.destinations)
    add(destination, currentMinute, none, input.backlogNow.get(destination) ?? 0)

  return {
    range: input.range,
    bucketMs,
    destinations: [...charts].map(([destination, buckets]) => ({
      destination,
      buckets: buckets.map(({ backlogMinute: _, ...bucket }) => bucket)
    }))
  }
}
