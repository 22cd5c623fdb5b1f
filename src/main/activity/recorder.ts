import type { StatusCounts } from '@shared/model'
import type { ActivityLog, ActivityMinute } from '../store'

/**
 * Each destination's activity a minute at a time, for the Activity view's charts.
 *
 * What it costs: ingest and delivery add to a counter in memory once their transaction has
 * committed (one addition per request or answer, not per event; no trigger, no index on the
 * outbox). Once a minute one small transaction writes the minute that ended, a row per
 * destination with the backlog then (read from status_counts: a few rows), and prunes what is
 * older than ACTIVITY_KEPT_MS. What a crash may lose: the counts of the minute under way (and of
 * a minute whose write failed, kept in memory until the next write succeeds); a clean stop writes
 * them. A minute written twice (a stop and a start within it) adds the counts of both.
 */

export const MINUTE_MS = 60_000
/** A week: the day view reads the last 24 hours, and a week of rows is ~10,000 a destination. */
export const ACTIVITY_KEPT_MS = 7 * 86_400_000

export const minuteOf = (ms: number): number => Math.floor(ms / MINUTE_MS)

export interface MinuteCounts {
  received: number
  delivered: number
  failed: number
}

/** Counts not written yet: minute (since the epoch) -> destination -> counts. */
export type UnwrittenMinutes = Map<number, Map<string, MinuteCounts>>

export interface ActivityRecorderOptions {
  destinations: string[]
  log: ActivityLog
  /** Events waiting to be sent now, by destination. */
  backlog(): Map<string, number>
  now(): number
}

/** Where an answer left its events (the worker's Settlement status). */
export type SettledStatus = 'sent' | 'failed' | 'retrying' | 'queued'

export interface ActivityRecorder {
  /** New events of a destination were committed to the outbox (duplicates excluded). */
  stored(destination: string, events: number): void
  /** An answer's settlement was committed: `sent` counts as delivered, `failed` as failed. */
  settled(destination: string, status: SettledStatus, events: number): void
  /** Events waiting to be sent now, by destination: what a minute's row records as its backlog. */
  backlogNow(): Map<string, number>
  /** A copy of the counts not written yet, from `minute` on. */
  unwrittenSince(minute: number): UnwrittenMinutes
  /** How many writes have succeeded: a read of the table and of unwrittenSince agree when it did not move between them. */
  writes(): number
  /** Writes every minute that has ended; with `all`, the one under way too (at a stop). */
  write(all?: boolean): void
  /** Writes at each minute's end from now on. */
  start(): void
  /** Stops the timer and writes everything counted. */
  stop(): void
}

const emptyCounts = (): MinuteCounts => ({ received: 0, delivered: 0, failed: 0 })

/** The backlog a chart shows: events Outpost will still send (failed ones wait for a person). */
export function waitingByDestination(counts: Map<string, StatusCounts>): Map<string, number> {
  return new Map([...counts].map(([destination, n]) => [destination, n.queued + n.retrying + n.sending]))
}

export function createActivityRecorder(options: ActivityRecorderOptions): ActivityRecorder {
  const unwritten: UnwrittenMinutes = new Map()
  const startMinute = minuteOf(options.now())
  /** The last minute written with a row for every destination: the collector ran then. */
  let lastFullMinute = startMinute - 1
  let writeCount = 0
  let timer: NodeJS.Timeout | null = null

  function countsOf(destination: string): MinuteCounts {
    const minute = minuteOf(options.now())
    let destinations = unwritten.get(minute)
    if (!destinations) unwritten.set(minute, (destinations = new Map()))
    let counts = destinations.get(destination)
    if (!counts) destinations.set(destination, (counts = emptyCounts()))
    return counts
  }

  function rowsToWrite(all: boolean): { rows: ActivityMinute[]; minutes: number[]; lastFull: number } {
    const current = minuteOf(options.now())
    const last = all ? current : current - 1
    const minutes = [...unwritten.keys()].filter((minute) => minute <= last)
    // Every destination gets a row for the minute that just ended (and at a stop the one under
    // way), counted or not: a minute without rows reads as a minute the collector was not running.
    // After a sleep the timer comes late, and the minutes slept through stay without rows.
    const full = new Set(minutes)
    for (let minute = Math.max(lastFullMinute + 1, startMinute, current - 1); minute <= last; minute++)
      full.add(minute)
    const backlog = options.backlog()
    const rows: ActivityMinute[] = []
    for (const minute of [...full].sort((a, b) => a - b)) {
      const counted = unwritten.get(minute) ?? new Map<string, MinuteCounts>()
      const destinations = new Set([...options.destinations, ...counted.keys()])
      for (const destination of destinations) {
        const counts = counted.get(destination) ?? emptyCounts()
        rows.push({ minute, destination, ...counts, backlog: backlog.get(destination) ?? 0 })
      }
    }
    return { rows, minutes, lastFull: Math.max(lastFullMinute, last) }
  }

  function write(all = false): void {
    const { rows, minutes, lastFull } = rowsToWrite(all)
    if (rows.length === 0) return
    options.log.write(rows, minuteOf(options.now() - ACTIVITY_KEPT_MS))
    for (const minute of minutes) unwritten.delete(minute)
    lastFullMinute = lastFull
    writeCount++
  }

  function scheduleNext(): void {
    const now = options.now()
    timer = setTimeout(writeOnTime, MINUTE_MS - (now % MINUTE_MS)).unref()
  }

  function writeOnTime(): void {
    try {
      write()
    } catch (error) {
      // A full or busy disk: the counts stay in memory and go with the next write.
      console.error('[outpost] writing the activity of the last minute failed', error)
    }
    scheduleNext()
  }

  return {
    stored(destination, events) {
      if (events > 0) countsOf(destination).received += events
    },
    settled(destination, status, events) {
      if (status === 'sent') countsOf(destination).delivered += events
      else if (status === 'failed') countsOf(destination).failed += events
    },
    backlogNow: () => options.backlog(),
    unwrittenSince(minute) {
      const copy: UnwrittenMinutes = new Map()
      for (const [at, destinations] of unwritten) {
        if (at < minute) continue
        copy.set(at, new Map([...destinations].map(([destination, counts]) => [destination, { ...counts }])))
      }
      return copy
    },
    writes: () => writeCount,
    write,
    start() {
      if (timer === null) scheduleNext()
    },
    stop() {
      if (timer !== null) clearTimeout(timer)
      timer = null
      try {
        write(true)
      } catch (error) {
        // The stop goes on: what is lost is this minute's chart, never an event.
        console.error('[outpost] writing the activity at the stop failed', error)
      }
    }
  }
}
