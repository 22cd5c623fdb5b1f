import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  ACTIVITY_KEPT_MS,
  createActivityRecorder,
  MINUTE_MS,
  minuteOf,
  type ActivityRecorder
} from '../../src/main/activity/recorder'
import { activityReport, firstMinuteOf } from '../../src/main/activity/report'
import { openStore, type ActivityMinute, type Store } from '../../src/main/store'
import { ACTIVITY_SQL, createActivityReads } from '../../src/main/store/activity'
import { tempDir } from '../support/temp'

const NOON = Date.UTC(2025, 0, 6, 12, 0, 0)
const NOON_MINUTE = minuteOf(NOON)

describe('activity: counted in memory, written once a minute', () => {
  let dir: ReturnType<typeof tempDir>
  let store: Store
  let clock: number
  let backlog: Map<string, number>
  const file = () => `${dir.path}/outbox.sqlite`
  const rows = () =>
    store.db
      .prepare(
        'SELECT minute, destination, received, delivered, failed, backlog FROM activity ORDER BY minute, destination'
      )
      .all() as ActivityMinute[]
  const recorder = (): ActivityRecorder =>
    createActivityRecorder({
      destinations: ['whisperr', 'userflux'],
      log: store.activity,
      backlog: () => backlog,
      now: () => clock
    })

  beforeEach(() => {
    dir = tempDir()
    store = openStore(file())
    clock = NOON
    backlog = new Map([['whisperr', 7]])
  })
  afterEach(() => {
    store.close()
    dir.remove()
  })

  it('counts each event in the minute it was stored or settled, either side of a boundary', () => {
    const activity = recorder()
    clock = NOON + MINUTE_MS - 1
    activity.stored('whisperr', 3)
    activity.settled('whisperr', 'sent', 2)
    clock = NOON + MINUTE_MS
    activity.stored('whisperr', 1)
    activity.settled('whisperr', 'failed', 1)
    // Neither a retry nor a batch put back is an outcome yet.
    activity.settled('whisperr', 'retrying', 5)
    activity.settled('whisperr', 'queued', 5)
    const unwritten = activity.unwrittenSince(0)
    expect(unwritten.get(NOON_MINUTE)?.get('whisperr')).toEqual({ received: 3, delivered: 2, failed: 0 })
    expect(unwritten.get(NOON_MINUTE + 1)?.get('whisperr')).toEqual({ received: 1, delivered: 0, failed: 1 })
  })

  it('writes the minute that ended, a row for every destination with its backlog, and keeps the one under way', () => {
    const activity = recorder()
    activity.stored('whisperr', 4)
    clock = NOON + MINUTE_MS + 10
    activity.stored('whisperr', 2)
    activity.write()
    expect(rows()).toEqual([
      // Nothing happened there: the row says the collector ran that minute.
      { minute: NOON_MINUTE, destination: 'userflux', received: 0, delivered: 0, failed: 0, backlog: 0 },
      { minute: NOON_MINUTE, destination: 'whisperr', received: 4, delivered: 0, failed: 0, backlog: 7 }
    ])
    expect([...activity.unwrittenSince(0).keys()]).toEqual([NOON_MINUTE + 1])
    expect(activity.writes()).toBe(1)
  })

  it('writes the minute under way at a stop, and a start within the same minute adds to it', () => {
    const first = recorder()
    first.stored('whisperr', 5)
    first.settled('whisperr', 'sent', 5)
    clock = NOON + 20_000
    first.stop()
    clock = NOON + 40_000
    backlog = new Map([['whisperr', 1]])
    const second = recorder()
    second.stored('whisperr', 1)
    second.settled('whisperr', 'sent', 2)
    clock = NOON + MINUTE_MS
    second.write()
    expect(rows().find((row) => row.destination === 'whisperr')).toEqual({
      minute: NOON_MINUTE,
      destination: 'whisperr',
      received: 6,
      delivered: 7,
      failed: 0,
      backlog: 1
    })
  })

  it('loses only the counts not written yet when the process dies', () => {
    const before = recorder()
    before.stored('whisperr', 2)
    clock = NOON + MINUTE_MS
    before.write()
    before.stored('whisperr', 9)
    // Killed here, in the minute 12:01: no stop. The next process starts from what was written.
    clock = NOON + 2 * MINUTE_MS
    const after = recorder()
    after.stored('whisperr', 1)
    clock = NOON + 3 * MINUTE_MS
    after.write()
    const whisperr = rows().filter((row) => row.destination === 'whisperr')
    expect(whisperr.map((row) => [row.minute - NOON_MINUTE, row.received])).toEqual([
      [0, 2],
      [2, 1]
    ])
  })

  it('writes no row for minutes the timer slept through (a laptop asleep)', () => {
    const activity = recorder()
    clock = NOON + MINUTE_MS
    activity.write()
    clock = NOON + 30 * MINUTE_MS + 5
    activity.write()
    expect([...new Set(rows().map((row) => row.minute - NOON_MINUTE))]).toEqual([0, 29])
  })

  it('keeps counts a write could not store for the next write', () => {
    let refuse = true
    const activity = createActivityRecorder({
      destinations: ['whisperr'],
      log: {
        write: (minutes, pruneBefore) => {
          if (refuse) throw new Error('SQLITE_FULL')
          store.activity.write(minutes, pruneBefore)
        }
      },
      backlog: () => backlog,
      now: () => clock
    })
    activity.stored('whisperr', 3)
    clock = NOON + MINUTE_MS
    expect(() => activity.write()).toThrow('SQLITE_FULL')
    refuse = false
    clock = NOON + 2 * MINUTE_MS
    activity.write()
    expect(rows().map((row) => [row.minute - NOON_MINUTE, row.received])).toEqual([
      [0, 3],
      [1, 0]
    ])
  })

  it('prunes the minutes older than a week as it writes', () => {
    const writtenAt = NOON + MINUTE_MS
    const weekAgo = minuteOf(writtenAt - ACTIVITY_KEPT_MS)
    const old = (minute: number): ActivityMinute => ({
      minute,
      destination: 'whisperr',
      received: 1,
      delivered: 1,
      failed: 0,
      backlog: 0
    })
    store.activity.write([old(weekAgo - 1), old(weekAgo)], 0)
    const activity = recorder()
    clock = writtenAt
    activity.write()
    const minutes = rows().map((row) => row.minute)
    expect(minutes).toContain(weekAgo)
    expect(minutes).not.toContain(weekAgo - 1)
  })

  it('writes at the end of each minute once started', () => {
    vi.useFakeTimers({ now: NOON + 30_000 })
    try {
      const activity = createActivityRecorder({
        destinations: ['whisperr'],
        log: store.activity,
        backlog: () => backlog,
        now: Date.now
      })
      activity.start()
      activity.stored('whisperr', 1)
      vi.advanceTimersByTime(29_999)
      expect(rows()).toEqual([])
      vi.advanceTimersByTime(1)
      expect(rows().map((row) => [row.minute - NOON_MINUTE, row.received])).toEqual([[0, 1]])
      vi.advanceTimersByTime(MINUTE_MS)
      expect(rows().map((row) => row.minute - NOON_MINUTE)).toEqual([0, 1])
      activity.stop()
    } finally {
      vi.useRealTimers()
    }
  })

  it('reads a range summed by bucket, each with its latest backlog', () => {
    const at = (minute: number, received: number, backlog: number): ActivityMinute => ({
      minute: NOON_MINUTE + minute,
      destination: 'whisperr',
      received,
      delivered: 1,
      failed: 0,
      backlog
    })
    store.activity.write([at(-1, 100, 100), at(0, 1, 5), at(7, 2, 9), at(14, 3, 4), at(15, 4, 0)], 0)
    const reads = createActivityReads(store.db)
    expect(reads.activityBuckets(NOON_MINUTE, 15)).toEqual([
      { minute: NOON_MINUTE + 14, destination: 'whisperr', received: 6, delivered: 3, failed: 0, backlog: 4 },
      { minute: NOON_MINUTE + 15, destination: 'whisperr', received: 4, delivered: 1, failed: 0, backlog: 0 }
    ])
    expect(reads.activityBuckets(NOON_MINUTE + 14, 1).map((row) => row.received)).toEqual([3, 4])
  })

  it('reads a range and prunes through the primary key, never a scan', () => {
    const plan = (sql: string, ...parameters: unknown[]) =>
      (store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...parameters) as { detail: string }[]).map(
        (row) => row.detail
      )
    expect(plan(ACTIVITY_SQL.buckets, { from: 0, minutes: 15 })).toEqual([
      expect.stringMatching(/^SEARCH activity USING PRIMARY KEY \(minute>\?\)/),
      'USE TEMP B-TREE FOR GROUP BY'
    ])
    expect(plan(ACTIVITY_SQL.prune, 0)).toEqual([
      expect.stringMatching(/^SEARCH activity USING PRIMARY KEY \(minute<\?\)/)
    ])
  })
})

describe('activity report: minutes cut into the chart buckets', () => {
  const minute = (at: number, destination: string, counts: Partial<ActivityMinute>): ActivityMinute => ({
    minute: at,
    destination,
    received: 0,
    delivered: 0,
    failed: 0,
    backlog: 0,
    ...counts
  })
  const report = (
    range: 'hour' | 'day',
    now: number,
    written: ActivityMinute[],
    unwritten = new Map(),
    backlogNow = new Map<string, number>()
  ) => activityReport({ range, now, destinations: ['whisperr'], written, unwritten, backlogNow })
  const bucketsOf = (r: ReturnType<typeof report>) => r.destinations[0]!.buckets

  it('the last hour: sixty one-minute buckets, the last one under way, with the backlog now', () => {
    const now = NOON + 30_000
    const chart = report(
      'hour',
      now,
      [
        minute(NOON_MINUTE - 60, 'whisperr', { received: 99 }), // before the hour: left out
        minute(NOON_MINUTE - 59, 'whisperr', { received: 2, delivered: 1, backlog: 1 }),
        minute(NOON_MINUTE - 1, 'whisperr', { received: 3, failed: 3, backlog: 4 })
      ],
      new Map(),
      new Map([['whisperr', 5]])
    )
    expect(chart.bucketMs).toBe(MINUTE_MS)
    const buckets = bucketsOf(chart)
    expect(buckets).toHaveLength(60)
    expect(buckets[0]).toEqual({
      start: new Date(NOON - 59 * MINUTE_MS).toISOString(),
      received: 2,
      delivered: 1,
      failed: 0,
      backlog: 1
    })
    // Nothing recorded: the collector was not running.
    expect(buckets[1]).toMatchObject({ received: 0, backlog: null })
    expect(buckets[58]).toMatchObject({ received: 3, failed: 3, backlog: 4 })
    expect(buckets[59]).toEqual({
      start: new Date(NOON).toISOString(),
      received: 0,
      delivered: 0,
      failed: 0,
      backlog: 5
    })
  })

  it('adds what is counted and not yet written, in its own minute', () => {
    const unwritten = new Map([
      [NOON_MINUTE - 1, new Map([['whisperr', { received: 1, delivered: 1, failed: 0 }]])],
      [NOON_MINUTE, new Map([['whisperr', { received: 2, delivered: 0, failed: 1 }]])]
    ])
    const written = [minute(NOON_MINUTE - 1, 'whisperr', { received: 10, backlog: 3 })]
    const buckets = bucketsOf(report('hour', NOON + 1, written, unwritten, new Map([['whisperr', 8]])))
    expect(buckets[58]).toMatchObject({ received: 11, delivered: 1 })
    expect(buckets[59]).toMatchObject({ received: 2, failed: 1, backlog: 8 })
  })

  it('the last day: quarter hours summing their minutes, the backlog of the latest minute, cut at :00, :15, :30, :45', () => {
    const now = NOON + 20 * MINUTE_MS // 12:20: the bucket under way began at 12:15
    expect(firstMinuteOf('day', now)).toBe(NOON_MINUTE + 15 - 95 * 15)
    const buckets = bucketsOf(
      report('day', now, [
        minute(NOON_MINUTE - 1, 'whisperr', { received: 1, backlog: 9 }), // 11:59
        minute(NOON_MINUTE, 'whisperr', { received: 2, backlog: 2 }), // 12:00
        minute(NOON_MINUTE + 14, 'whisperr', { received: 3, backlog: 1 }), // 12:14
        minute(NOON_MINUTE + 5, 'whisperr', { received: 4, backlog: 6 }), // 12:05, read after 12:14
        minute(NOON_MINUTE + 15, 'whisperr', { delivered: 5, backlog: 0 }) // 12:15
      ])
    )
    expect(buckets).toHaveLength(96)
    expect(buckets[93]).toMatchObject({
      start: new Date(NOON - 15 * MINUTE_MS).toISOString(),
      received: 1,
      backlog: 9
    })
    expect(buckets[94]).toMatchObject({ start: new Date(NOON).toISOString(), received: 9, backlog: 1 })
    expect(buckets[95]).toMatchObject({
      start: new Date(NOON + 15 * MINUTE_MS).toISOString(),
      delivered: 5,
      backlog: 0
    })
  })

  it('charts the configured destinations only, in their order, and each its own rows', () => {
    const chart = activityReport({
      range: 'hour',
      now: NOON,
      destinations: ['b', 'a'],
      written: [
        minute(NOON_MINUTE - 1, 'a', { received: 1 }),
        minute(NOON_MINUTE - 1, 'gone', { received: 5 })
      ],
      unwritten: new Map(),
      backlogNow: new Map()
    })
    expect(chart.destinations.map((d) => [d.destination, d.buckets[58]!.received])).toEqual([
      ['b', 0],
      ['a', 1]
    ])
  })
})
