import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { EventQuery, EventSummary } from '../../src/shared/model'
import { openStore, type Store } from '../../src/main/store'
import { createQueries, type Queries } from '../../src/main/store/queries'
import { openReadConnection } from '../../src/main/store/reader'
import { openSearchIndexWriter, searchIndexFileOf } from '../../src/main/store/search-index'
import { newEvent } from '../support/outbox-events'
import { tempDir } from '../support/temp'

const NAMES = ['signup', 'Signup', 'signup_done', 'checkout']
const USERS = ['ann', 'annie', 'bob', 'jo', null]
const DESTINATIONS = ['whisperr', 'embeddables']

/** The list's answer to `query`, every page read with `beforeId` as the console's "Load more" does. */
function allPages(queries: Queries, query: EventQuery): number[] {
  const ids: number[] = []
  let beforeId: number | undefined
  do {
    const page = queries.listEvents({ ...query, limit: 7, ...(beforeId === undefined ? {} : { beforeId }) })
    ids.push(...page.events.map((event: EventSummary) => event.id))
    beforeId = page.nextBeforeId ?? undefined
  } while (beforeId !== undefined)
  return ids
}

describe('the name and user filters', () => {
  let dir: ReturnType<typeof tempDir>
  let store: Store
  /** What each event was stored with, by id. */
  const stored = new Map<number, { name: string; user: string | null; destination: string; status: string }>()

  beforeEach(() => {
    dir = tempDir()
    store = openStore(`${dir.path}/outbox.sqlite`)
    stored.clear()
    const events = Array.from({ length: 120 }, (_, index) => ({
      name: NAMES[index % NAMES.length]!,
      user: USERS[Math.floor(index / 4) % USERS.length]!,
      destination: DESTINATIONS[Math.floor(index / 16) % DESTINATIONS.length]!
    }))
    store.outbox.enqueueEvents(
      [
        events.map((event, index) =>
          newEvent(`m${index}`, {
            name: event.name,
            userKey: event.user,
            destination: event.destination,
            payload: JSON.stringify({ event_type: event.name, note: index % 3 === 0 ? 'alice' : 'carol' })
          })
        )
      ],
      5_000
    )
    events.forEach((event, index) => stored.set(index + 1, { ...event, status: 'queued' }))
    // Some failed, so a status narrows too.
    store.db.exec(`UPDATE outbox SET status = 'failed' WHERE id % 5 = 0`)
    for (const id of stored.keys()) if (id % 5 === 0) stored.get(id)!.status = 'failed'
    // Two sent: a status with under a fiftieth of the events, read through its own range.
    store.db.exec(`UPDATE outbox SET status = 'sent' WHERE id IN (9, 13)`)
    for (const id of [9, 13]) stored.get(id)!.status = 'sent'
  })
  afterEach(() => {
    store.close()
    dir.remove()
  })

  /** The ids a query should list, newest first, worked out from what was stored. */
  function expected(query: EventQuery, matchesSearch: (id: number) => boolean = () => true): number[] {
    return [...stored.entries()]
      .filter(
        ([id, event]) =>
          (query.name === undefined || event.name === query.name) &&
          (query.user === undefined || event.user === query.user) &&
          (query.destination === undefined || event.destination === query.destination) &&
          (query.status === undefined || event.status === query.status) &&
          matchesSearch(id)
      )
      .map(([id]) => id)
      .sort((a, b) => b - a)
  }

  const queriesToTry: EventQuery[] = [
    { name: 'signup' },
    { name: 'Signup' },
    { user: 'ann' },
    { user: 'nobody' },
    { name: 'signup', user: 'ann' },
    { name: 'checkout', status: 'failed' },
    { name: 'signup', status: 'sent' },
    { name: 'signup', status: 'sent', destination: 'whisperr' },
    { name: 'checkout', status: 'sent' },
    { user: 'bob', destination: 'embeddables' },
    { user: 'annie', status: 'queued', destination: 'whisperr' },
    // Shorter than a trigram: read event by event. A user key is exact, case included.
    { user: 'jo' },
    { user: 'ANN' }
  ]

  it('list and count exactly the events of a name, of a user, or both, with the other filters, page by page', () => {
    const queries = createQueries(store.db)
    for (const query of queriesToTry) {
      const ids = expected(query)
      expect(allPages(queries, query), JSON.stringify(query)).toEqual(ids)
      expect(queries.countEvents(query), JSON.stringify(query)).toEqual({ count: ids.length, exact: true })
    }
  })

  it('narrow a search the same way, through the trigram index and event by event', () => {
    const file = `${dir.path}/outbox.sqlite`
    const writer = openSearchIndexWriter(file)
    while (writer.step() !== 'idle');
    writer.close()
    const reader = openReadConnection(file)
    const queries = createQueries(reader, {
      searchIndexFile: searchIndexFileOf(file),
      budgets: { pageMs: Infinity, countMs: Infinity }
    })
    const hasAlice = (id: number) => (id - 1) % 3 === 0
    try {
      for (const query of queriesToTry) {
        const searched = { ...query, search: 'alice' }
        const ids = expected(query, hasAlice)
        expect(allPages(queries, searched), JSON.stringify(searched)).toEqual(ids)
        expect(queries.countEvents(searched), JSON.stringify(searched)).toEqual({
          count: ids.length,
          exact: true
        })
      }
    } finally {
      reader.close()
    }
  })

  it('find a user through the trigram index (a user key is searched for), exactly that user', () => {
    const file = `${dir.path}/outbox.sqlite`
    const writer = openSearchIndexWriter(file)
    while (writer.step() !== 'idle');
    writer.close()
    // Stored after the index's pass: found all the same, read directly.
    store.outbox.enqueueEvents([[newEvent('late', { userKey: 'ann', name: 'signup' })]], 6_000)
    stored.set(121, { name: 'signup', user: 'ann', destination: 'whisperr', status: 'queued' })
    const reader = openReadConnection(file)
    const queries = createQueries(reader, {
      searchIndexFile: searchIndexFileOf(file),
      budgets: { pageMs: Infinity, countMs: Infinity }
    })
    try {
      for (const query of queriesToTry) {
        const ids = expected(query)
        expect(allPages(queries, query), JSON.stringify(query)).toEqual(ids)
        expect(queries.countEvents(query), JSON.stringify(query)).toEqual({ count: ids.length, exact: true })
      }
    } finally {
      reader.close()
    }
  })

  it("narrow one upstream request's events the same way", () => {
    // Request 1 carried every third event.
    store.db
      .exec(`INSERT INTO attempts (id, destination, started_at, duration_ms, outcome, reason, request, batch_size)
      VALUES (1, 'whisperr', 1, 1, 'sent', '', '', 40)`)
    store.db.exec(
      `INSERT INTO attempt_events (event_id, attempt_id) SELECT id, 1 FROM outbox WHERE id % 3 = 0`
    )
    const queries = createQueries(store.db)
    for (const query of queriesToTry) {
      const requested = { ...query, attemptId: 1 }
      const ids = expected(query, (id) => id % 3 === 0)
      expect(allPages(queries, requested), JSON.stringify(requested)).toEqual(ids)
      expect(queries.countEvents(requested), JSON.stringify(requested)).toEqual({
        count: ids.length,
        exact: true
      })
    }
  })

  it('suggest each stored name once, in order', () => {
    expect(createQueries(store.db).eventNames(500)).toEqual([...new Set(NAMES)].sort())
  })
})
