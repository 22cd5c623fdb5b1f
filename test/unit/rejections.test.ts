import { describe, expect, it } from 'vitest'
import { createRejectionLog } from '../../src/main/ingest/rejections'

const refusal = (url: string) => ({
  method: 'POST',
  url,
  destination: null,
  status: 400,
  error: 'invalid_request',
  message: 'bad',
  fields: [],
  body: null
})

describe('rejection log', () => {
  it('keeps only the newest entries, newest first, with ids that never repeat', () => {
    let clock = Date.parse('2026-11-24T09:00:00.000Z')
    const log = createRejectionLog(() => clock++, 3)
    for (const n of [1, 2, 3, 4, 5]) log.record(refusal(`/r${n}`))
    expect(log.list(10).map((r) => [r.id, r.url])).toEqual([
      [5, '/r5'],
      [4, '/r4'],
      [3, '/r3']
    ])
    expect(log.list(2).map((r) => r.id)).toEqual([5, 4])
    expect(log.list().map((r) => r.id)).toEqual([5, 4, 3])
    expect(log.list(1)[0]?.at).toBe('2026-11-24T09:00:00.004Z')
    expect([log.count(), log.lastId()]).toEqual([3, 5])
    log.clear()
    expect([log.count(), log.lastId(), log.list(10)]).toEqual([0, 5, []])
    log.record(refusal('/r6'))
    expect(log.list(10).map((r) => r.id)).toEqual([6])
  })
})
