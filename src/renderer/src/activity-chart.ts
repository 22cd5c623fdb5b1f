import type { ActivityBucket, ActivityRange } from '@shared/activity'
import { formatCount } from './format'

/** How the charts speak of each range. */
export const RANGE_WORDS: Record<
  ActivityRange,
  { label: string; span: string; bucket: string; start: string }
> = {
  hour: { label: 'Last hour', span: 'the last hour', bucket: 'minute', start: '60 min ago' },
  day: { label: 'Last day', span: 'the last 24 hours', bucket: 'quarter hour', start: '24 h ago' }
}

export interface ActivityTotals {
  received: number
  delivered: number
  failed: number
  /** The backlog of the bucket under way; null when nothing is known yet. */
  backlogNow: number | null
  backlogPeak: number
  /** The most events in, or out (delivered and failed), in one bucket: the flow chart's scale. */
  flowPeak: number
  /** Buckets when the collector was not running. */
  notRunning: number
}

export function activityTotals(buckets: ActivityBucket[]): ActivityTotals {
  const totals: ActivityTotals = {
    received: 0,
    delivered: 0,
    failed: 0,
    backlogNow: buckets.at(-1)?.backlog ?? null,
    backlogPeak: 0,
    flowPeak: 0,
    notRunning: 0
  }
  for (const bucket of buckets) {
    totals.received += bucket.received
    totals.delivered += bucket.delivered
    totals.failed += bucket.failed
    totals.backlogPeak = Math.max(totals.backlogPeak, bucket.backlog ?? 0)
    totals.flowPeak = Math.max(totals.flowPeak, bucket.received, bucket.delivered + bucket.failed)
    if (bucket.backlog === null) totals.notRunning++
  }
  return totals
}

const plural = (count: number, one: string, many = `${one}s`) =>
  `${formatCount(count)} ${count === 1 ? one : many}`

/** The chart in words: what a screen reader says of it, and what its figure is named. */
export function activitySummary(
  destination: string,
  range: ActivityRange,
  buckets: ActivityBucket[]
): string {
  const totals = activityTotals(buckets)
  const words = RANGE_WORDS[range]
  const parts = [
    `${destination}, ${words.span}: ${plural(totals.received, 'event')} in, ` +
      `${formatCount(totals.delivered)} delivered, ${formatCount(totals.failed)} failed`,
    totals.backlogNow === null
      ? 'backlog not known yet'
      : `backlog ${formatCount(totals.backlogNow)} now, at most ${formatCount(totals.backlogPeak)}`
  ]
  if (totals.flowPeak > 0)
    parts.push(`at most ${formatCount(totals.flowPeak)} in or out in one ${words.bucket}`)
  if (totals.notRunning > 0)
    parts.push(`Outpost was not running for ${plural(totals.notRunning, words.bucket)} of ${buckets.length}`)
  return `${parts.join('; ')}.`
}

/** Local time of a bucket's start, to the minute. */
export function bucketTime(iso: string): string {
  const date = new Date(iso)
  return `${String(date.getHours()).padStart(2, '0')}:${String(date.getMinutes()).padStart(2, '0')}`
}

/** One bucket in words, for its tooltip and its row in the chart's table. */
export function bucketWords(bucket: ActivityBucket): string {
  const time = bucketTime(bucket.start)
  if (bucket.backlog === null) return `${time}: Outpost was not running`
  return (
    `${time}: ${formatCount(bucket.received)} in, ${formatCount(bucket.delivered)} delivered, ` +
    `${formatCount(bucket.failed)} failed, backlog ${formatCount(bucket.backlog)}`
  )
}

/**
 * The buckets a table lists: those where something happened or the backlog moved. Sixty rows
 * that all say "nothing" would bury the few that matter.
 */
export function eventfulBuckets(buckets: ActivityBucket[]): ActivityBucket[] {
  return buckets.filter(
    (bucket, index) =>
      bucket.received + bucket.delivered + bucket.failed > 0 ||
      (index > 0 && bucket.backlog !== buckets[index - 1]?.backlog)
  )
}

/** Stretches of buckets when Outpost was not running, as [first index, length]: one shaded band each. */
export function notRunningStretches(buckets: ActivityBucket[]): [number, number][] {
  const stretches: [number, number][] = []
  buckets.forEach((bucket, index) => {
    if (bucket.backlog !== null) return
    const last = stretches.at(-1)
    if (last && last[0] + last[1] === index) last[1]++
    else stretches.push([index, 1])
  })
  return stretches
}
