import { runInNewContext } from 'node:vm'
import { setFlagsFromString } from 'node:v8'
import { describe, expect, it } from 'vitest'
import { bodyRecord, createRejectionLog, keptText } from '../../src/main/ingest/rejections'

const refusal = (url: string) => ({
  method: 'POST',
  url,
  destination: null,
  status: 400,
  error: 'invalid_request',
  message: 'bad',
  fields: [],
  ...bodyRecord(null, [])
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

describe('what a rejection keeps of the body', () => {
  const problem = (index: number) => ({ index, field: 'event_type', reason: 'must be snake_case' })

  it('keeps each refused event of a batch as written, with the batch size, in batch order', () => {
    const events = [
      '{"a":[1,{"b":"]}"}]}',
      '{ "event_type" : "Bad One", "n": 1.0 }',
      '"a literal"',
      '[1, [2]]',
      '{"n":12345678901234567890}'
    ]
    const body = `{"meta":{"events":[9]},"events":[${events.join(' ,\n ')}],"other":[{"x":1}]}`
    const kept = bodyRecord(body, [problem(4), problem(1), problem(2), problem(1), problem(3)])
    expect(kept).toEqual({
      body,
      bodyBytes: body.length,
      batchSize: 5,
      refusedEvents: [1, 2, 3, 4].map((index) => ({
        index,
        text: events[index],
        bytes: events[index]!.length
      }))
    })
  })

  it('reads a top-level array as the batch; a single event has none', () => {
    expect(bodyRecord('[{"x":1},{"x":2}]', [problem(1)])).toMatchObject({
      batchSize: 2,
      refusedEvents: [{ index: 1, text: '{"x":2}' }]
    })
    expect(bodyRecord('{"event_type":"Bad"}', [{ field: 'event_type', reason: 'bad' }])).toMatchObject({
      batchSize: null,
      refusedEvents: []
    })
  })

  it('cuts the body at 16 KB and says how long it was, counting bytes', () => {
    const body = `{"events":[${'{"name":"é"},'.repeat(4_000)}{"name":"Bad"}]}`
    const kept = bodyRecord(body, [problem(4_000)])
    expect(kept.body).toBe(body.slice(0, 16 * 1024))
    expect(kept.bodyBytes).toBe(Buffer.byteLength(body))
    expect(kept.bodyBytes).toBeGreaterThan(body.length)
    expect(kept.refusedEvents).toEqual([{ index: 4_000, text: '{"name":"Bad"}', bytes: 14 }])
  })

  it('bounds each refused event and all of them together', () => {
    const big = `{"pad":"${'x'.repeat(20_000)}"}`
    const body = `{"events":[${Array(6).fill(big).join(',')}]}`
    const { refusedEvents } = bodyRecord(body, [0, 1, 2, 3, 4, 5].map(problem))
    expect(refusedEvents.map((event) => event.text?.length ?? null)).toEqual([
      8192,
      8192,
      8192,
      8192,
      null,
      null
    ])
    expect(refusedEvents.every((event) => event.bytes === big.length)).toBe(true)
  })

  it('never splits a character made of two UTF-16 units', () => {
    const text = `${'a'.repeat(9)}😀b`
    expect(keptText(text, 10)).toBe('a'.repeat(9))
    expect(keptText(text, 11)).toBe(`${'a'.repeat(9)}😀`)
  })

  it('holds no reference to the whole body it was cut from', () => {
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as () => void
    gc()
    const before = process.memoryUsage().heapUsed
    const kept = Array.from({ length: 40 }, (_, n) => {
      const body = `{"events":[{"n":${n},"pad":"${'x'.repeat(2_000_000)}"}]}`
      return bodyRecord(body, [problem(0)])
    })
    gc()
    const grown = process.memoryUsage().heapUsed - before
    // Slices of the 40 bodies would keep 80 MB; what is kept is 40 × (16 + 8) K characters.
    expect(grown).toBeLessThan(10_000_000)
    expect(kept).toHaveLength(40)
  })
})
