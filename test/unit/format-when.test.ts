import { afterEach, describe, expect, it } from 'vitest'
import { formatWhen } from '../../src/renderer/src/format'

const originalZone = process.env.TZ

/** Node reads TZ again whenever it is set: the dates below are then made in that zone. */
function inZone(zone: string): void {
  process.env.TZ = zone
}

afterEach(() => {
  if (originalZone === undefined) delete process.env.TZ
  else process.env.TZ = originalZone
})

describe('formatWhen: a time in a list, with the date unless it is today', () => {
  it('shows the clock alone today, to the millisecond', () => {
    inZone('Europe/Paris')
    const now = new Date(2026, 10, 22, 18, 0, 0)
    expect(formatWhen(new Date(2026, 10, 22, 14, 3, 5, 123).toISOString(), now)).toBe('14:03:05.123')
    expect(formatWhen(new Date(2026, 10, 22, 0, 0, 0, 0).toISOString(), now)).toBe('00:00:00.000')
  })

  it('shows the date of yesterday, of a week ago and of tomorrow (a next try)', () => {
    inZone('Europe/Paris')
    const now = new Date(2026, 10, 22, 0, 30, 0)
    expect(formatWhen(new Date(2026, 10, 21, 23, 59, 59, 999).toISOString(), now)).toBe('Nov 21 23:59:59')
    expect(formatWhen(new Date(2026, 10, 15, 9, 4, 0).toISOString(), now)).toBe('Nov 15 09:04:00')
    expect(formatWhen(new Date(2026, 10, 23, 1, 0, 0).toISOString(), now)).toBe('Nov 23 01:00:00')
  })

  it('shows the year, to the minute, for another year', () => {
    inZone('Europe/Paris')
    const now = new Date(2027, 0, 1, 10, 0, 0)
    expect(formatWhen(new Date(2026, 11, 31, 23, 58, 30).toISOString(), now)).toBe('Dec 31 2026 23:58')
    expect(formatWhen(new Date(2025, 2, 3, 7, 5, 0).toISOString(), now)).toBe('Mar 3 2025 07:05')
  })

  it('decides "today" by the local calendar, not by UTC', () => {
    // 23:30 UTC on Nov 21, seen at 01:00 UTC on Nov 22.
    const at = '2026-11-21T23:30:00.000Z'
    const now = new Date('2026-11-22T01:00:00.000Z')
    inZone('UTC')
    expect(formatWhen(at, now)).toBe('Nov 21 23:30:00')
    // In New York both are the evening of Nov 21.
    inZone('America/New_York')
    expect(formatWhen(at, now)).toBe('18:30:00.000')
    // In Tokyo both are the morning of Nov 22.
    inZone('Asia/Tokyo')
    expect(formatWhen(at, now)).toBe('08:30:00.000')
    // In Honolulu (UTC-10) it is Nov 21 13:30; and now is Nov 21 15:00: the same day.
    inZone('Pacific/Honolulu')
    expect(formatWhen(at, now)).toBe('13:30:00.000')
  })

  it('shows a local date across a daylight-saving change', () => {
    inZone('Europe/Paris')
    // Paris leaves summer time at 01:00 UTC on Oct 25 2026: half an hour before, it is 02:30 there.
    const now = new Date('2026-10-26T08:00:00.000Z')
    expect(formatWhen('2026-10-25T00:30:00.000Z', now)).toBe('Oct 25 02:30:00')
  })

  it('shows a dash for no time or a time it cannot read', () => {
    expect(formatWhen(null)).toBe('—')
    expect(formatWhen('not a date')).toBe('—')
  })
})
