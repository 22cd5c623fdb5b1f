import { describe, expect, it } from 'vitest'
import type { ActivityBucket } from '../../src/shared/activity'
import {
  activitySummary,
  activityTotals,
  eventfulBuckets,
  notRunningStretches
} from '../../src/renderer/src/activity-chart'

const bucket = (fields: Partial<ActivityBucket>, minute = 0): ActivityBucket => ({
  start: new Date(Date.UTC(2025, 0, 6, 12, minute)).toISOString(),
  received: 0,
  delivered: 0,
  failed: 0,
  backlog: 0,
  ...fields
})

describe('the activity chart in numbers and words', () => {
  const buckets = [
    bucket({ backlog: null }, 0),
    bucket({ backlog: null }, 1),
    bucket({ received: 1200, delivered: 200, backlog: 1000 }, 2),
    bucket({ backlog: 1000 }, 3),
    bucket({ delivered: 990, failed: 10, backlog: 0 }, 4),
    bucket({ backlog: null }, 5),
    bucket({ received: 1, backlog: 1 }, 6)
  ]

  it('adds up the range: totals, the backlog now and at most, the flow chart scale, the time not running', () => {
    expect(activityTotals(buckets)).toEqual({
      received: 1201,
      delivered: 1190,
      failed: 10,
      backlogNow: 1,
      backlogPeak: 1000,
      flowPeak: 1200,
      notRunning: 3
    })
  })

  it('says it in one sentence, with separators, for a screen reader', () => {
    expect(activitySummary('whisperr', 'hour', buckets)).toBe(
      'whisperr, the last hour: 1,201 events in, 1,190 delivered, 10 failed; backlog 1 now, at most 1,000; ' +
        'at most 1,200 in or out in one minute; Outpost was not running for 3 minutes of 7.'
    )
    expect(activitySummary('keyless', 'day', [bucket({ received: 1, backlog: 1 })])).toBe(
      'keyless, the last 24 hours: 1 event in, 0 delivered, 0 failed; backlog 1 now, at most 1; ' +
        'at most 1 in or out in one quarter hour.'
    )
  })

  it('lists in its table only the buckets where events moved or the backlog changed', () => {
    expect(eventfulBuckets(buckets).map((b) => new Date(b.start).getUTCMinutes())).toEqual([2, 4, 5, 6])
  })

  it('shades each stretch when Outpost was not running as one band', () => {
    expect(notRunningStretches(buckets)).toEqual([
      [0, 2],
      [5, 1]
    ])
  })
})
