import Database from 'better-sqlite3'
import { closeSync, existsSync, openSync, rmSync, statSync, writeSync } from 'node:fs'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { EventQuery } from '../../src/shared/model'
import { openStore, type NewEvent, type Store } from '../../src/main/store'
import { createQueries, type Queries, type QueryOptions } from '../../src/main/store/queries'
import { openReadConnection } from '../../src/main/store/reader'
import {
  openSearchIndexWriter,
  PART_BITS,
  partTable,
  searchIndexFileOf,
  type SearchIndexWriter
} from '../../src/main/store/search-index'
import { startSearchIndexer } from '../../src/main/store/search-indexer'
import { trigramQuery } from '../../src/main/store/search-text'
import { newEvent } from '../support/outbox-events'
import { eventually, tempDir } from '../support/temp'

const ACTOR = { actor: 'tester', at: 1 }
const UNBOUNDED = { pageMs: Infinity, countMs: Infinity }

/** A Whisperr track of `user` whose properties are `properties`. */
function withProperties(messageId: string, properties: string, user = 'u1'): NewEvent {
  return newEvent(messageId, {
    userKey: user,
    payload: `{"event_type":"order_placed","external_user_id":"${user}","properties":${properties},"context":{"$message_id":"${messageId}"}}`
  })
}

describe('payload search', () => {
  let dir: ReturnType<typeof tempDir>
  let store: Store
  let writer: SearchIndexWriter
  let reader: Database.Database
  let queries: Queries
  const file = () => `${dir.path}/outbox.sqlite`

  /**
   * The reader's queries, as the reader worker makes them: its own connection, the index attached;
   * without time limits unless given (what matches must not depend on how busy the machine is).
   */
  function readQueries(options: Omit<QueryOptions, 'searchIndexFile'> = { budgets: UNBOUNDED }): Queries {
    reader?.close()
    reader = openReadConnection(file())
    return createQueries(reader, { searchIndexFile: searchIndexFileOf(file()), ...options })
  }

  /** Brings the index up to date, as the indexer's worker does between its rests. */
  function indexAll(): void {
    while (writer.step() !== 'idle');
  }

  const found = (query: EventQuery) => queries.listEvents(query).events.map((event) => event.messageId)

  beforeEach(() => {
    dir = tempDir()
    store = openStore(file())
    writer = openSearchIndexWriter(file())
    queries = readQueries()
  })
  afterEach(() => {
    reader.close()
    writer.close()
    store.close()
    dir.remove()
  })

  it('finds a part of a property value, ignoring case, numbers as written; not property names; the message id as before', () => {
    store.outbox.enqueueEvents(
      [
        [
          withProperties('m-sku', '{"sku":"SKU-12345-B","kiosk":"Kiosk Zürich 7"}'),
          withProperties('m-big', '{"order_id":12345678901234567890,"ratio":1.0}'),
          withProperties('m-quote', '{"note":"say \\"hello\\" \\u00e0 bient\\u00f4t"}'),
          withProperties('m-other', '{"sku":"A-1"}', 'alice')
        ]
      ],
      1_000
    )
    const expectations: [string, string[]][] = [
      ['sku-1234', ['m-sku']],
      ['KIOSK ZÜRICH', ['m-sku']],
      ['12345678901234567890', ['m-big']],
      ['1.0', ['m-big']],
      ['"hello" à', ['m-quote']],
      ['bientôt', ['m-quote']],
      // A property name is not a value; nor does a term span two values.
      ['order_id', []],
      ['sku', ['m-sku']],
      ['7\nA-1', []],
      // Name, user and message id, as the search box always found them; two characters too.
      ['ALIC', ['m-other']],
      ['m-big', ['m-big']],
      ['a-', ['m-other']]
    ]
    for (const indexed of [false, true]) {
      if (indexed) indexAll()
      for (const [term, expected] of expectations)
        expect(found({ search: term }), `${term} (indexed: ${indexed})`).toEqual(expected)
    }
    expect(writer.progress().indexedThrough).toBe(4)
  })

  it('finds an edited payload as edited, before and after the index reads the edit', () => {
    store.outbox.enqueueEvents(
      [[withProperties('a', '{"sku":"OLD-1"}'), withProperties('b', '{"sku":"x"}')]],
      1_000
    )
    indexAll()
    const edited = {
      payload: '{"event_type":"order_placed","properties":{"sku":"NEW-2"}}',
      name: 'order_placed',
      userKey: 'u1',
      occurredAt: null
    }
    expect(store.corrections.editPayload(1, edited, ACTOR)).toBe(true)
    for (const step of ['before the index reads it', 'after']) {
      expect(found({ search: 'old-1' }), step).toEqual([])
      expect(found({ search: 'new-2' }), step).toEqual(['a'])
      expect(queries.countEvents({ search: 'new-2' }), step).toEqual({ count: 1, exact: true })
      indexAll()
    }
  })

  it('reads the events themselves when edits the index has not read have left the change log', () => {
    store.outbox.enqueueEvents(
      [[withProperties('a', '{"sku":"OLD-A"}'), withProperties('b', '{"sku":"OLD-B"}')]],
      1_000
    )
    indexAll()
    // The indexer stopped; two edits later the log kept only the newest (it keeps 100,000).
    writer.close()
    const edit = (id: number, sku: string) =>
      store.corrections.editPayload(
        id,
        { payload: `{"properties":{"sku":"${sku}"}}`, name: 'order_placed', userKey: 'u1', occurredAt: null },
        ACTOR
      )
    edit(1, 'NEW-A')
    edit(2, 'NEW-B')
    store.db.prepare(`DELETE FROM search_changes WHERE seq = (SELECT min(seq) FROM search_changes)`).run()
    expect(found({ search: 'new-a' })).toEqual(['a'])
    expect(found({ search: 'old-a' })).toEqual([])
    writer = openSearchIndexWriter(file())
    indexAll()
    expect(found({ search: 'new-a' })).toEqual(['a'])
  })

  it('never finds a pruned event, and the sweep removes it from the index', () => {
    store.outbox.enqueueEvents([[withProperties('old', '{"sku":"GONE-1"}')]], 1_000)
    store.outbox.enqueueEvents([[withProperties('kept', '{"sku":"KEPT-1"}')]], 2_000)
    indexAll()
    const claim = store.outbox.claimDueBatch('whisperr', 1_000, 1, 60_000, () => true)
    if (claim.kind !== 'claimed') throw new Error('expected a claim')
    const attempt = {
      destination: 'whisperr',
      startedAt: 1_000,
      durationMs: 1,
      status: 202,
      outcome: 'ok' as const,
      reason: 'ok',
      request: 'POST',
      responseBody: null
    }
    store.outbox.settleAttempt(attempt, [{ ids: [1], settlement: { status: 'sent' } }], 1_000)
    expect(store.retention.pruneExpired(5_000, 10)).toBe(1)

    expect(found({ search: 'gone-1' })).toEqual([])
    const index = new Database(searchIndexFileOf(file()), { readonly: true })
    try {
      const entries = () =>
        index
          .prepare(`SELECT count(*) FROM ${partTable(0)}`)
          .pluck()
          .get()
      expect(entries()).toBe(2)
      indexAll()
      expect(entries()).toBe(1)
      expect(found({ search: 'gone-1' })).toEqual([])
      expect(found({ search: 'kept-1' })).toEqual(['kept'])
    } finally {
      index.close()
    }
  })

  it('drops a part of the index once the sweep finds every event of it pruned', () => {
    const first = 1 << PART_BITS
    // Ids run in parts of 65,536: the first events are given ids of the next part.
    store.db
      .prepare(
        `INSERT INTO outbox (id, destination, message_id, kind, name, received_at, payload, next_attempt_at, bytes, status, sent_at)
      VALUES (?, 'whisperr', 'p0', 'track', 'x', 1, '{"sku":"PART-0"}', 1, 1, 'sent', 1)`
      )
      .run(first - 1)
    store.outbox.enqueueEvents([[withProperties('p1', '{"sku":"PART-1"}')]], 2_000)
    indexAll()
    const tables = () =>
      (
        reader
          .prepare(
            `SELECT name FROM search.sqlite_master WHERE name LIKE 'event_text_%' AND type = 'table' AND name NOT LIKE '%\\_%\\_%\\_%' ESCAPE '\\'`
          )
          .pluck()
          .all() as string[]
      ).sort()
    expect(found({ search: 'part-' })).toEqual(['p1', 'p0'])
    expect(tables()).toEqual([partTable(0), partTable(1)])
    expect(store.retention.pruneExpired(5_000, 10)).toBe(1)
    indexAll()
    queries = readQueries()
    expect(found({ search: 'part-' })).toEqual(['p1'])
    expect(tables()).toEqual([partTable(1)])
  })

  it('finds events as soon as they are stored, and the index catches up with them', () => {
    store.outbox.enqueueEvents([[withProperties('first', '{"kiosk":"K-1"}')]], 1_000)
    indexAll()
    store.outbox.enqueueEvents([[withProperties('second', '{"kiosk":"K-1"}')]], 2_000)
    expect(writer.progress().indexedThrough).toBe(1)
    expect(found({ search: 'k-1' })).toEqual(['second', 'first'])
    indexAll()
    expect(writer.progress()).toEqual({ indexedThrough: 2, newest: 2 })
    expect(found({ search: 'k-1' })).toEqual(['second', 'first'])
  })

  it('is rebuilt from the outbox when its file is deleted, or belongs to another outbox', () => {
    store.outbox.enqueueEvents(
      [[withProperties('a', '{"sku":"R-1"}'), withProperties('b', '{"sku":"R-2"}')]],
      1_000
    )
    indexAll()
    writer.close()
    reader.close()
    const index = searchIndexFileOf(file())
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${index}${suffix}`, { force: true })

    writer = openSearchIndexWriter(file())
    expect(existsSync(index)).toBe(true)
    expect(writer.progress().indexedThrough).toBe(0)
    indexAll()
    expect(writer.progress().indexedThrough).toBe(2)
    queries = readQueries()
    expect(found({ search: 'r-2' })).toEqual(['b'])

    // A recovered or replaced outbox numbers its events anew: an index of another one starts over.
    store.db.prepare(`UPDATE outbox_identity SET id = 'another outbox'`).run()
    expect(writer.step()).toBe('indexed')
    expect(writer.progress().indexedThrough).toBe(0)
    indexAll()
    expect(writer.progress().indexedThrough).toBe(2)
  })

  it('is set aside by a search that finds it damaged, and rebuilt by the indexer', () => {
    store.outbox.enqueueEvents(
      [
        Array.from({ length: 300 }, (_, i) =>
          withProperties(`d${i}`, `{"sku":"D-${i}","pad":"${'p'.repeat(200)}"}`)
        )
      ],
      1_000
    )
    indexAll()
    writer.close()
    reader.close()
    // Every page but the first (the header, so the file still opens) overwritten.
    const index = searchIndexFileOf(file())
    const size = statSync(index).size
    const garbage = Buffer.alloc(size - 4096, 0x5a)
    const fd = openSync(index, 'r+')
    writeSync(fd, garbage, 0, garbage.length, 4096)
    closeSync(fd)

    queries = readQueries()
    expect(found({ search: 'd-299' })).toEqual(['d299'])
    writer = openSearchIndexWriter(file())
    indexAll()
    expect(writer.progress().indexedThrough).toBe(300)
    queries = readQueries()
    expect(found({ search: 'd-17' })).toEqual([
      'd179',
      'd178',
      'd177',
      'd176',
      'd175',
      'd174',
      'd173',
      'd172',
      'd171',
      'd170',
      'd17'
    ])
    expect(
      reader
        .prepare(`SELECT count(*) FROM search.${partTable(0)}`)
        .pluck()
        .get() as number
    ).toBe(300)
  })

  it('answers what it found when its time runs out, and searching older reaches every match', () => {
    const events = Array.from({ length: 30 }, (_, i) =>
      withProperties(`e${i}`, i % 3 === 0 ? `{"sku":"HIT-${i}"}` : `{"sku":"miss-${i}"}`)
    )
    store.outbox.enqueueEvents([events.slice(0, 20)], 1_000)
    indexAll()
    // Ten events the index has not reached, twenty it has: both stop when their time is spent.
    store.outbox.enqueueEvents([events.slice(20)], 2_000)
    const unbounded = found({ search: 'hit-' })
    expect(unbounded).toHaveLength(10)

    // No time at all: each page checks one event, and says how far back it searched.
    queries = readQueries({ budgets: { pageMs: 0, countMs: 0, atLeast: 1 } })
    const pages: string[][] = []
    let query: EventQuery = { search: 'hit-', limit: 5 }
    for (;;) {
      const page = queries.listEvents(query)
      pages.push(page.events.map((event) => event.messageId))
      if (page.nextBeforeId === null) break
      if (page.events.length < 5) expect(page.searchedBackTo).toBeDefined()
      query = { ...query, beforeId: page.nextBeforeId }
    }
    expect(pages.length).toBeGreaterThan(2)
    expect(pages.flat()).toEqual(unbounded)
    const count = queries.countEvents({ search: 'hit-' })
    expect(count.exact).toBe(false)
    expect(count.count).toBeLessThan(10)
  })

  it('leaves the trigrams most events hold out of the index query, and still finds exactly what matches', () => {
    expect(trigramQuery('user_42', new Set(['use', 'ser', 'er_']))).toBe('"r_4" AND "_42"')
    expect(trigramQuery('user', new Set(['use', 'ser']))).toBe('"use" AND "ser"')
    expect(trigramQuery('"x"y')).toBe('"""x""" AND "x""y"')
    expect(trigramQuery('ab')).toBeNull()

    // One large step samples the events for the trigrams most of them hold.
    store.outbox.enqueueEvents(
      [
        Array.from({ length: 600 }, (_, i) =>
          withProperties(`u${i}`, `{"user":"user_${i}"}`, `user_${i % 60}`)
        )
      ],
      1_000
    )
    indexAll()
    expect(found({ search: 'user_59' }).sort()).toEqual(
      Array.from({ length: 600 }, (_, i) => i)
        .filter((i) => i % 60 === 59 || String(i).startsWith('59'))
        .map((i) => `u${i}`)
        .sort()
    )
    const common = reader.prepare(`SELECT trigram FROM search.common_trigrams`).pluck().all()
    expect(common).toEqual(expect.arrayContaining(['use', 'ser', 'er_']))
  })

  it('counts exactly what a filter matches, and a search up to 10,000', () => {
    store.outbox.enqueueEvents(
      [Array.from({ length: 10_005 }, (_, i) => withProperties(`c${i}`, '{"sku":"MANY"}'))],
      1_000
    )
    store.outbox.enqueueEvents([[withProperties('few', '{"sku":"FEW"}', 'bob')]], 2_000)
    indexAll()
    expect(queries.countEvents({})).toEqual({ count: 10_006, exact: true })
    expect(queries.countEvents({ status: 'queued', destination: 'whisperr' })).toEqual({
      count: 10_006,
      exact: true
    })
    expect(queries.countEvents({ status: 'failed' })).toEqual({ count: 0, exact: true })
    expect(queries.countEvents({ search: 'few' })).toEqual({ count: 1, exact: true })
    expect(queries.countEvents({ search: 'many' })).toEqual({ count: 10_000, exact: false })
    expect(queries.countEvents({ receivedFrom: new Date(1_500).toISOString() })).toEqual({
      count: 1,
      exact: true
    })
  })
})

describe('the search indexer (a worker thread keeping the index file)', () => {
  it('indexes the outbox, then each new event, and stops when closed', async () => {
    const dir = tempDir()
    const file = `${dir.path}/outbox.sqlite`
    const store = openStore(file)
    const indexer = startSearchIndexer(file, { idleMs: 10 })
    try {
      store.outbox.enqueueEvents(
        [[withProperties('a', '{"sku":"W-1"}'), withProperties('b', '{"sku":"W-2"}')]],
        1_000
      )
      await eventually(() => expect(indexer.progress()).toEqual({ indexedThrough: 2, newest: 2 }))
      store.outbox.enqueueEvents([[withProperties('c', '{"sku":"W-3"}')]], 2_000)
      await eventually(() => expect(indexer.progress()).toEqual({ indexedThrough: 3, newest: 3 }))
      const index = new Database(searchIndexFileOf(file), { readonly: true })
      try {
        expect(
          index
            .prepare(`SELECT count(*) FROM ${partTable(0)} WHERE ${partTable(0)} MATCH '"w-3"'`)
            .pluck()
            .get()
        ).toBe(1)
      } finally {
        index.close()
      }
    } finally {
      await indexer.close()
      store.close()
      dir.remove()
    }
  })
})
