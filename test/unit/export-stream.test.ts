import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { text } from 'node:stream/consumers'
import { isLosslessNumber, parse as losslessParse, stringify as losslessStringify } from 'lossless-json'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ExportFormat } from '../../src/shared/api'
import type { EventFilter, ExportedEvent, ExportedEventLine, ExportProgress } from '../../src/shared/model'
import { writeExportFile } from '../../src/main/admin/exports'
import { openStore, type NewEvent, type Store } from '../../src/main/store'
import { createEventExports, exportPageSql, type EventExports } from '../../src/main/store/export-stream'
import { parseCsv } from '../support/csv'
import { tempDir } from '../support/temp'

/** Numbers JavaScript would round or rewrite. */
const EXACT = '{"order_id":12345678901234567890,"ratio":1.0,"e":1e3,"z":-0}'
/** A client that pretty-prints, with a Windows line end among its own. */
const PRETTY = '{\n  "sku": "A-1",\r\n  "qty": 9007199254740993\n}'
const EXPORTED_AT = '2026-11-24T09:20:05.123Z'

function event(messageId: string, overrides: Partial<NewEvent> = {}): NewEvent {
  return {
    destination: 'whisperr',
    messageId,
    kind: 'track',
    name: 'order_placed',
    userKey: 'u1',
    occurredAt: 1_000,
    payload: `{"event_type":"order_placed","context":{"$message_id":"${messageId}"}}`,
    upstreamParams: null,
    ...overrides
  }
}

const sameValue = (a: string, b: string) =>
  expect(losslessStringify(losslessParse(a))).toBe(losslessStringify(losslessParse(b)))

describe('streaming export', () => {
  let dir: ReturnType<typeof tempDir>
  let store: Store
  let exports: EventExports

  beforeEach(() => {
    dir = tempDir()
    store = openStore(`${dir.path}/outbox.sqlite`)
    exports = createEventExports(`${dir.path}/outbox.sqlite`)
  })
  afterEach(() => {
    exports.close()
    store.close()
    dir.remove()
  })

  const enqueue = (...events: NewEvent[]) => store.outbox.enqueueEvents([events], 5_000)
  const exported = (filter: EventFilter, format: ExportFormat, onProgress?: (p: ExportProgress) => void) =>
    text(exports.open({ filter, format, exportedAt: EXPORTED_AT }, onProgress))
  const ndjsonIds = async (filter: EventFilter) =>
    (await exported(filter, 'ndjson'))
      .split('\n')
      .filter(Boolean)
      .map((line) => (JSON.parse(line) as ExportedEvent).id)

  /** Three events: exact numbers, a pretty-printed payload, and one whose payload Outpost changed. */
  function enqueueSamples() {
    enqueue(
      event('exact', { payload: EXACT }),
      event('pretty', { payload: PRETTY, userKey: null }),
      event('remapped', { payload: '{"device_id":"real_7"}', receivedPayload: '{"device_id":"local_1"}' })
    )
  }

  it('writes NDJSON: one event per line, newest first, each payload the client text digit for digit', async () => {
    enqueueSamples()
    const output = await exported({}, 'ndjson')
    expect(output.endsWith('\n')).toBe(true)
    const lines = output.slice(0, -1).split('\n')
    expect(lines).toHaveLength(3)
    const [remapped, pretty, exact] = lines.map((line) => JSON.parse(line) as ExportedEvent)
    expect(exact).toMatchObject({
      id: 1,
      destination: 'whisperr',
      kind: 'track',
      name: 'order_placed',
      userKey: 'u1',
      messageId: 'exact',
      status: 'queued',
      attempts: 0,
      occurredAt: '1970-01-01T00:00:01.000Z',
      receivedAt: '1970-01-01T00:00:05.000Z',
      nextAttemptAt: '1970-01-01T00:00:05.000Z',
      revision: 0
    })
    expect(pretty).toMatchObject({ id: 2, userKey: null })
    expect(remapped).toMatchObject({ id: 3 })
    // The payloads are JSON values in the line, as the client wrote them.
    expect(lines[2]).toContain(`"receivedPayload":${EXACT},"payload":${EXACT},`)
    expect(lines[0]).toContain('"receivedPayload":{"device_id":"local_1"},"payload":{"device_id":"real_7"}')
    const prettyLine = losslessParse(lines[1]!) as { payload: { qty: unknown } }
    expect(isLosslessNumber(prettyLine.payload.qty) && prettyLine.payload.qty.value).toBe('9007199254740993')
    // Its line breaks, whitespace between tokens, became spaces; every value is as it was.
    expect(lines[1]).toContain('"payload":{   "sku": "A-1",    "qty": 9007199254740993 },')
    sameValue(
      JSON.stringify((JSON.parse(lines[1]!) as ExportedEvent).payload),
      JSON.stringify(JSON.parse(PRETTY))
    )
  })

  it('writes JSON: the filter, when, and an array of the events, payloads exactly as stored', async () => {
    enqueueSamples()
    const output = await exported({ destination: 'whisperr' }, 'json')
    const file = JSON.parse(output) as { exportedAt: string; query: EventFilter; events: ExportedEvent[] }
    expect(file.exportedAt).toBe(EXPORTED_AT)
    expect(file.query).toEqual({ destination: 'whisperr' })
    expect(file.events.map((e) => e.messageId)).toEqual(['remapped', 'pretty', 'exact'])
    expect(output).toContain(`"receivedPayload":${PRETTY},"payload":${PRETTY},`)
    const exact = (losslessParse(output) as { events: { payload: Record<string, { value: string }> }[] })
      .events[2]!.payload
    expect([exact.order_id?.value, exact.ratio?.value, exact.e?.value, exact.z?.value]).toEqual([
      '12345678901234567890',
      '1.0',
      '1e3',
      '-0'
    ])
  })

  it("names each event's vendor and request parameters, which another collector's import needs", async () => {
    const vendors = createEventExports(`${dir.path}/outbox.sqlite`, (id) =>
      id === 'embeddables' ? 'embeddables' : null
    )
    try {
      enqueue(
        event('with-params', { destination: 'embeddables', upstreamParams: '{"projectId":"proj_1"}' }),
        event('gone', { destination: 'removed' })
      )
      const [gone, withParams] = (
        await text(vendors.open({ filter: {}, format: 'ndjson', exportedAt: EXPORTED_AT }))
      )
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as ExportedEventLine)
      expect(withParams).toMatchObject({ vendor: 'embeddables', upstreamParams: { projectId: 'proj_1' } })
      expect(gone).toMatchObject({ vendor: null, upstreamParams: null })
    } finally {
      vendors.close()
    }
  })

  it('writes a valid export when the outbox is empty or nothing matches', async () => {
    expect(JSON.parse(await exported({}, 'json'))).toEqual({ exportedAt: EXPORTED_AT, query: {}, events: [] })
    enqueueSamples()
    expect(JSON.parse(await exported({ search: 'no such thing' }, 'json'))).toEqual({
      exportedAt: EXPORTED_AT,
      query: { search: 'no such thing' },
      events: []
    })
    expect(await exported({ search: 'no such thing' }, 'ndjson')).toBe('')
    expect(parseCsv(await exported({ search: 'no such thing' }, 'csv'))).toHaveLength(1)
  })

  it('writes CSV: a header, one record per event, quotes, commas and line breaks escaped', async () => {
    enqueueSamples()
    const awkward = 'say "hi", then\r\nbye'
    enqueue(
      event('awkward', { name: awkward, userKey: 'doe, jane', payload: '{"note":"a \\"quoted\\", b"}' })
    )
    const records = parseCsv(await exported({}, 'csv'))
    expect(records[0]).toEqual([
      'id',
      'destination',
      'kind',
      'name',
      'userKey',
      'messageId',
      'status',
      'attempts',
      'occurredAt',
      'receivedAt',
      'sentAt',
      'nextAttemptAt',
      'lastStatus',
      'lastError',
      'revision',
      'receivedPayload',
      'payload'
    ])
    expect(records).toHaveLength(5)
    const [header, ...rows] = records
    const byMessageId = new Map(rows.map((row) => [row[header!.indexOf('messageId')], row]))
    const field = (messageId: string, column: string) => byMessageId.get(messageId)?.[header!.indexOf(column)]
    expect(field('awkward', 'name')).toBe(awkward)
    expect(field('awkward', 'userKey')).toBe('doe, jane')
    expect(field('awkward', 'payload')).toBe('{"note":"a \\"quoted\\", b"}')
    // The payload cell holds the stored text itself, line breaks and all.
    expect(field('pretty', 'payload')).toBe(PRETTY)
    expect(field('exact', 'payload')).toBe(EXACT)
    expect(field('remapped', 'receivedPayload')).toBe('{"device_id":"local_1"}')
    expect(field('pretty', 'userKey')).toBe('')
    expect(field('exact', 'sentAt')).toBe('')
    expect(field('exact', 'id')).toBe('1')
  })

  it('pages through stretches of ids: every match of a rare search, a status and a destination, newest first', async () => {
    // More ids than one stretch (5,000) and more matches than one page (500).
    const events = Array.from({ length: 12_003 }, (_, i) =>
      event(`m${i}`, {
        destination: i % 3 === 0 ? 'userflux' : 'whisperr',
        name: i % 997 === 0 ? 'rare_event' : 'common_event'
      })
    )
    for (let i = 0; i < events.length; i += 1_000) enqueue(...events.slice(i, i + 1_000))
    store.db.prepare(`UPDATE outbox SET status = 'failed' WHERE id % 5 = 0`).run()
    const expected = (keep: (i: number) => boolean) =>
      events
        .map((_, i) => i + 1)
        .filter((id) => keep(id - 1))
        .reverse()

    expect(await ndjsonIds({ search: 'rare' })).toEqual(expected((i) => i % 997 === 0))
    expect(await ndjsonIds({ destination: 'userflux' })).toEqual(expected((i) => i % 3 === 0))
    expect(await ndjsonIds({ status: 'failed', destination: 'whisperr' })).toEqual(
      expected((i) => (i + 1) % 5 === 0 && i % 3 !== 0)
    )
    expect(await ndjsonIds({})).toHaveLength(12_003)
  })

  it('exports events larger than a page whole, one a page', async () => {
    const huge = (i: number) => `{"i":${i},"pad":"${'y'.repeat(400_000)}"}`
    enqueue(...Array.from({ length: 5 }, (_, i) => event(`huge-${i}`, { payload: huge(i) })))
    const progress: ExportProgress[] = []
    const lines = (await exported({}, 'ndjson', (p) => progress.push(p))).trim().split('\n')
    expect(lines.map((line) => (JSON.parse(line) as ExportedEvent).payload)).toEqual(
      [4, 3, 2, 1, 0].map((i) => JSON.parse(huge(i)))
    )
    expect(progress.map((p) => p.rows)).toEqual([1, 2, 3, 4, 5, 5])
  })

  it('reports progress after each page: rows written, of a total when the status ledger counts it', async () => {
    for (let i = 0; i < 3; i++)
      enqueue(...Array.from({ length: 700 }, (_, j) => event(`p${i}-${j}`, { name: `batch_${i}` })))
    const progress: ExportProgress[] = []
    await exported({ destination: 'whisperr' }, 'ndjson', (p) => progress.push(p))
    expect(progress.length).toBeGreaterThan(3)
    expect(progress.every((p) => p.total === 2_100)).toBe(true)
    expect(progress.map((p) => p.rows)).toEqual([...progress.map((p) => p.rows)].sort((a, b) => a - b))
    expect(progress.at(-1)?.rows).toBe(2_100)

    const searched: ExportProgress[] = []
    await exported({ search: 'batch_1' }, 'csv', (p) => searched.push(p))
    expect(searched.at(-1)).toEqual({ rows: 700, total: null })

    // The ledger counts no name or user: a total from it would count every event of the destination.
    const named: ExportProgress[] = []
    await exported({ destination: 'whisperr', name: 'batch_2' }, 'csv', (p) => named.push(p))
    expect(named.at(-1)).toEqual({ rows: 700, total: null })
  })

  it('reads beside the writer, and leaves out what was stored after it began', async () => {
    enqueue(...Array.from({ length: 3_000 }, (_, i) => event(`before-${i}`)))
    const stream = exports.open({ filter: {}, format: 'ndjson', exportedAt: EXPORTED_AT })
    const chunks: string[] = []
    const reading = (async () => {
      for await (const chunk of stream) chunks.push(String(chunk))
    })()
    // A write transaction stays open while the export reads (WAL): a reader neither waits nor sees it.
    store.db.exec('BEGIN IMMEDIATE')
    enqueue(event('uncommitted'))
    await new Promise((resolve) => setImmediate(resolve))
    store.db.exec('COMMIT')
    enqueue(event('after'))
    await reading
    const ids = chunks
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((line) => (JSON.parse(line) as ExportedEvent).id)
    expect(ids).toHaveLength(3_000)
    expect(Math.max(...ids)).toBe(3_000)
  })

  it('ends a running export with an error when closed, and refuses new ones', async () => {
    enqueue(
      ...Array.from({ length: 3_000 }, (_, i) =>
        event(`e${i}`, { payload: `{"pad":"${'x'.repeat(2_000)}"}` })
      )
    )
    const stream = exports.open({ filter: {}, format: 'json', exportedAt: EXPORTED_AT })
    const iterator = stream[Symbol.asyncIterator]()
    await iterator.next()
    exports.close()
    await expect(
      (async () => {
        for (;;) if ((await iterator.next()).done) return
      })()
    ).rejects.toThrow(/export was cut short/)
    expect(() => exports.open({ filter: {}, format: 'json', exportedAt: EXPORTED_AT })).toThrow(/stopping/)
  })

  it('leaves no file behind when an export to a file is cut short', async () => {
    enqueue(
      ...Array.from({ length: 2_000 }, (_, i) =>
        event(`f${i}`, { payload: `{"pad":"${'z'.repeat(2_000)}"}` })
      )
    )
    const path = join(dir.path, 'cut-short.ndjson')
    let pages = 0
    const stream = exports.open({ filter: {}, format: 'ndjson', exportedAt: EXPORTED_AT }, () => {
      if (++pages === 2) exports.close()
    })
    await expect(writeExportFile(stream, path)).rejects.toThrow(/cut short/)
    expect(existsSync(path)).toBe(false)
  })

  it('exports what the list shows for a payload search and a time range, both ends included', async () => {
    store.outbox.enqueueEvents([[event('early', { payload: '{"sku":"SKU-77"}' })]], 1_000)
    store.outbox.enqueueEvents([[event('from', { payload: '{"sku":"sku-770"}' })]], 2_000)
    store.outbox.enqueueEvents([[event('inside', { payload: '{"sku":"SKU-1"}' })]], 2_500)
    store.outbox.enqueueEvents([[event('to', { payload: '{"kiosk":"Kiosk SKU-77b"}' })]], 3_000)
    store.outbox.enqueueEvents([[event('late', { payload: '{"sku":"SKU-77"}' })]], 3_001)
    const range = { receivedFrom: new Date(2_000).toISOString(), receivedTo: new Date(3_000).toISOString() }
    const listed = (filter: EventFilter) => store.queries.listEvents(filter).events.map((e) => e.id)
    for (const filter of [range, { search: 'sku-77' }, { ...range, search: 'sku-77' }]) {
      expect(await ndjsonIds(filter), JSON.stringify(filter)).toEqual(listed(filter))
    }
    expect(await ndjsonIds({ ...range, search: 'sku-77' })).toEqual([4, 2])
  })

  it("exports an event name's or a user's events, exactly, as the list shows them", async () => {
    enqueue(
      event('a', { name: 'signup', userKey: 'ann' }),
      event('b', { name: 'signup_done', userKey: 'ann' }),
      event('c', { name: 'signup', userKey: 'bob' }),
      event('d', { name: 'Signup', userKey: 'annie' })
    )
    const listed = (filter: EventFilter) => store.queries.listEvents(filter).events.map((e) => e.id)
    const filters: EventFilter[] = [{ name: 'signup' }, { user: 'ann' }, { name: 'signup', user: 'ann' }]
    for (const filter of filters) {
      expect(await ndjsonIds(filter), JSON.stringify(filter)).toEqual(listed(filter))
    }
    expect(await ndjsonIds({ name: 'signup' })).toEqual([3, 1])
    expect(await ndjsonIds({ user: 'ann' })).toEqual([2, 1])
    expect(await ndjsonIds({ name: 'signup', user: 'ann' })).toEqual([1])
  })

  it('seeks each page by a stretch of ids for every filter: no scan beyond it, no sort', () => {
    const filters: EventFilter[] = [
      {},
      { destination: 'whisperr' },
      { status: 'failed' },
      { search: 'alice' },
      { attemptId: 3 },
      { destination: 'whisperr', status: 'sent', search: 'alice' },
      { destination: 'whisperr', attemptId: 3 },
      { receivedFrom: '2026-05-01T10:00:00.000Z', receivedTo: '2026-05-01T11:00:00.000Z' },
      { status: 'failed', search: 'alice', receivedFrom: '2026-05-01T10:00:00.000Z' },
      { name: 'signup' },
      { user: 'ann', status: 'failed' },
      { destination: 'whisperr', name: 'signup', user: 'ann', search: 'alice' }
    ]
    for (const filter of filters) {
      const plan = (
        store.db.prepare(`EXPLAIN QUERY PLAN ${exportPageSql(filter)}`).all({
          destination: 'whisperr',
          status: 'failed',
          term: 'alice',
          from: 1,
          to: 2,
          attemptId: 3,
          name: 'signup',
          user: 'ann',
          before: 10,
          floor: 1
        }) as { detail: string }[]
      ).map((row) => row.detail)
      const outbox = plan.find((detail) => / outbox /.test(`${detail} `))
      expect(outbox, JSON.stringify(filter)).toMatch(
        /^SEARCH outbox USING (INTEGER PRIMARY KEY \(rowid(>\? AND rowid<\?|=\?)\)|INDEX \w+ \(.*id>\? AND id<\?\))$/
      )
      expect(plan.join('; '), JSON.stringify(filter)).not.toMatch(/TEMP B-TREE|SCAN outbox/)
    }
  })
})
