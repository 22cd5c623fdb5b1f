import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { EventQuery } from '../../src/shared/model'
import { openStore, type Store } from '../../src/main/store'
import { createQueries, type Queries } from '../../src/main/store/queries'
import { openReadConnection } from '../../src/main/store/reader'
import {
  openSearchIndexWriter,
  searchIndexFileOf,
  type SearchIndexWriter
} from '../../src/main/store/search-index'
import { newEvent } from '../support/outbox-events'
import { tempDir } from '../support/temp'

const MINUTE = 60_000
const T0 = Date.parse('2026-05-01T10:00:00.000Z')
const iso = (ms: number) => new Date(ms).toISOString()

/**
 * When each request of the test outbox was received, in the order they were stored: a minute apart,
 * but the clock was set back by an hour after the 20th and forward again after the 30th, so ids
 * and receipt times disagree there.
 */
const RECEIPTS = Array.from({ length: 40 }, (_, i) => T0 + i * MINUTE - (i >= 20 && i < 30 ? 60 * MINUTE : 0))
/** Events per request: 40 requests of 75 are 3,000 events, about three blocks of ids. */
const PER_REQUEST = 75

describe('the time range filter', () => {
  let dir: ReturnType<typeof tempDir>
  let store: Store
  let writer: SearchIndexWriter
  let reader: Database.Database
  let queries: Queries
  const file = () => `${dir.path}/outbox.sqlite`

  beforeEach(() => {
    dir = tempDir()
    store = openStore(file())
    RECEIPTS.forEach((receivedAt, request) =>
      store.outbox.enqueueEvents(
        [
          Array.from({ length: PER_REQUEST }, (_, i) =>
            newEvent(`r${request}-${i}`, {
              destination: i % 4 === 0 ? 'userflux' : 'whisperr',
              payload: `{"kiosk":"K-${i % 10}"}`
            })
          )
        ],
        receivedAt
      )
    )
    store.db.prepare(`UPDATE outbox SET status = 'failed' WHERE id % 7 = 0`).run()
    writer = openSearchIndexWriter(file())
    reader = openReadConnection(file())
    // Without time limits: which events a range holds must not depend on how busy the machine is.
    queries = createQueries(reader, {
      searchIndexFile: searchIndexFileOf(file()),
      budgets: { pageMs: Infinity, countMs: Infinity }
    })
  })
  afterEach(() => {
    reader.close()
    writer.close()
    store.close()
    dir.remove()
  })

  /** The ids a query must give, read by brute force: every event, checked one by one, newest first. */
  function expected(query: EventQuery): number[] {
    const from = query.receivedFrom === undefined ? -Infinity : Date.parse(query.receivedFrom)
    const to = query.receivedTo === undefined ? Infinity : Date.parse(query.receivedTo)
    const rows = store.db
      .prepare(`SELECT id, destination, status, payload, received_at FROM outbox ORDER BY id DESC`)
      .all() as { id: number; destination: string; status: string; payload: string; received_at: number }[]
    return rows
      .filter((row) => row.received_at >= from && row.received_at <= to)
      .filter((row) => query.destination === undefined || row.destination === query.destination)
      .filter((row) => query.status === undefined || row.status === query.status)
      .filter((row) => !query.search || row.payload.toLowerCase().includes(query.search.toLowerCase()))
      .map((row) => row.id)
  }

  /** Every page of a query, followed to its end. */
  function allPages(query: EventQuery): number[] {
    const ids: number[] = []
    let next: EventQuery = { ...query, limit: 250 }
    for (;;) {
      const page = queries.listEvents(next)
      ids.push(...page.events.map((event) => event.id))
      if (page.nextBeforeId === null) return ids
      next = { ...next, beforeId: page.nextBeforeId }
    }
  }

  const ranges: [string, EventQuery][] = [
    ['both ends on receipts', { receivedFrom: iso(RECEIPTS[5]!), receivedTo: iso(RECEIPTS[8]!) }],
    [
      'a millisecond inside both ends',
      { receivedFrom: iso(RECEIPTS[5]! + 1), receivedTo: iso(RECEIPTS[8]! - 1) }
    ],
    ['over the clock set back', { receivedFrom: iso(T0 - 35 * MINUTE), receivedTo: iso(T0 + 5 * MINUTE) }],
    ['from only', { receivedFrom: iso(RECEIPTS[35]!) }],
    ['to only', { receivedTo: iso(RECEIPTS[2]!) }],
    ['nothing received then', { receivedFrom: iso(T0 + 1_000 * MINUTE) }],
    [
      'every block wholly inside',
      { receivedFrom: iso(T0 - 120 * MINUTE), receivedTo: iso(T0 + 120 * MINUTE) }
    ]
  ]
  const combined: EventQuery[] = [
    {},
    { destination: 'userflux' },
    { status: 'failed' },
    { search: 'k-3' },
    { destination: 'whisperr', status: 'failed', search: 'K-1' }
  ]

  it('lists exactly the events received in the range, both ends included, newest first, whatever the clock did', () => {
    for (const indexed of [false, true]) {
      if (indexed) while (writer.step() !== 'idle');
      for (const [label, range] of ranges)
        for (const filters of combined) {
          const query = { ...range, ...filters }
          const described = `${label} ${JSON.stringify(filters)} (indexed: ${indexed})`
          expect(allPages(query), described).toEqual(expected(query))
          expect(queries.countEvents(query), described).toEqual({
            count: expected(query).length,
            exact: true
          })
        }
    }
    expect(expected(ranges[0]![1])).toHaveLength(4 * PER_REQUEST)
    expect(expected(ranges[1]![1])).toHaveLength(2 * PER_REQUEST)
    // The clock set back: requests 25 to 29 were received 35 to 31 minutes before request 0.
    expect(expected(ranges[2]![1])).toHaveLength(11 * PER_REQUEST)
  })
})
