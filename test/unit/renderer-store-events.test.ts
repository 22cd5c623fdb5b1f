import { afterEach, describe, expect, it, vi } from 'vitest'
import type { EventCount, EventPage, EventQuery } from '../../src/shared/model'
import {
  deferred,
  fakeApi,
  settle,
  statsAt,
  storeOn,
  summary,
  type Deferred
} from '../support/fake-outpost-api'

/** Events numbered 1..n, newest first, paged as the admin API does. */
function pageOf(ids: number[], query: EventQuery): EventPage {
  const before = query.beforeId ?? Number.POSITIVE_INFINITY
  const limit = query.limit ?? 200
  const rows = ids.filter((id) => id < before).sort((a, b) => b - a)
  const events = rows.slice(0, limit).map((id) => summary(id))
  return { events, nextBeforeId: rows.length > limit ? (events.at(-1)?.id ?? null) : null }
}

const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i)

describe('renderer store: the event list', () => {
  afterEach(() => vi.useRealTimers())

  it('drops a list answer that a filter change made stale, whatever order the answers come in', async () => {
    const answers: Deferred<EventPage>[] = []
    const api = fakeApi({
      getStats: async () => statsAt(1),
      listEvents: () => {
        const answer = deferred<EventPage>()
        answers.push(answer)
        return answer.promise
      },
      countEvents: async () => ({ count: 0, exact: true })
    })
    const store = storeOn(api)
    const polled = store.getState().poll()
    await settle()
    store.getState().setStatusFilter('failed')
    expect(answers).toHaveLength(2)
    answers[1]!.resolve({ events: [summary(5)], nextBeforeId: null })
    await settle()
    answers[0]!.resolve({ events: [summary(9), summary(8)], nextBeforeId: null })
    await polled
    expect(store.getState().events.map((event) => event.id)).toEqual([5])
    expect(store.getState().filters.status).toBe('failed')
  })

  it('keeps the pages "Load more" added when the outbox changes and the list is re-read', async () => {
    let ids = range(1, 300)
    let version = 1
    const limits: (number | undefined)[] = []
    const api = fakeApi({
      getStats: async () => statsAt(version),
      listEvents: async (query) => {
        if (query.beforeId === undefined) limits.push(query.limit)
        return pageOf(ids, query)
      },
      countEvents: async () => ({ count: ids.length, exact: true })
    })
    const store = storeOn(api)
    await store.getState().poll()
    expect(store.getState().events).toHaveLength(200)
    await store.getState().loadMore()
    expect(store.getState().events).toHaveLength(300)
    expect(store.getState().nextBeforeId).toBeNull()

    ids = range(1, 301)
    version = 2
    await store.getState().poll()
    const shown = store.getState().events.map((event) => event.id)
    expect(shown).toEqual(range(1, 301).reverse())
    // The refresh re-read as many rows as were shown, not just the first page.
    expect(limits).toEqual([200, 300])
  })

  it('does not re-read the list while the outbox version stays the same', async () => {
    const listEvents = vi.fn(async (query: EventQuery) => pageOf([1, 2], query))
    const api = fakeApi({
      getStats: async () => statsAt(4),
      listEvents,
      countEvents: async () => ({ count: 2, exact: true })
    })
    const store = storeOn(api)
    await store.getState().poll()
    await store.getState().poll()
    expect(listEvents).toHaveBeenCalledTimes(1)
    expect(store.getState().appState).toBe('ready')
  })

  it('refreshes the count when the outbox changes, at most once per interval', async () => {
    const clock = { now: 0 }
    let version = 1
    let total = 10
    const countEvents = vi.fn(async (): Promise<EventCount> => ({ count: total, exact: true }))
    const api = fakeApi({
      getStats: async () => statsAt(version),
      listEvents: async (query) => pageOf(range(1, total), query),
      countEvents
    })
    const store = storeOn(api, clock)
    await store.getState().poll()
    await settle()
    expect(store.getState().count).toEqual({ count: 10, exact: true })

    total = 11
    version = 2
    clock.now = 1000
    await store.getState().poll()
    await settle()
    expect(countEvents).toHaveBeenCalledTimes(1)

    total = 12
    version = 3
    clock.now = 4000
    await store.getState().poll()
    await settle()
    expect(countEvents).toHaveBeenCalledTimes(2)
    expect(store.getState().count).toEqual({ count: 12, exact: true })
  })

  it('keeps the newer count when two counts of the same filters answer out of order', async () => {
    const clock = { now: 0 }
    let version = 1
    const counts: Deferred<EventCount>[] = []
    const api = fakeApi({
      getStats: async () => statsAt(version),
      listEvents: async (query) => pageOf([1], query),
      countEvents: () => {
        const answer = deferred<EventCount>()
        counts.push(answer)
        return answer.promise
      }
    })
    const store = storeOn(api, clock)
    await store.getState().poll()
    version = 2
    clock.now = 5000
    await store.getState().poll()
    expect(counts).toHaveLength(2)
    counts[1]!.resolve({ count: 12, exact: true })
    await settle()
    counts[0]!.resolve({ count: 10, exact: true })
    await settle()
    expect(store.getState().count).toEqual({ count: 12, exact: true })
  })

  it('counts the new filters at once and drops a count of the old ones that answers late', async () => {
    const counts: { query: EventQuery; answer: Deferred<EventCount> }[] = []
    const api = fakeApi({
      getStats: async () => statsAt(1),
      listEvents: async (query) => pageOf([1, 2, 3], query),
      countEvents: (query) => {
        const answer = deferred<EventCount>()
        counts.push({ query, answer })
        return answer.promise
      }
    })
    const store = storeOn(api)
    await store.getState().poll()
    store.getState().setDestinationFilter('whisperr')
    expect(store.getState().count).toBeNull()
    expect(counts.map((count) => count.query)).toEqual([{}, { destination: 'whisperr' }])
    counts[1]!.answer.resolve({ count: 3, exact: true })
    await settle()
    counts[0]!.answer.resolve({ count: 300, exact: true })
    await settle()
    expect(store.getState().count).toEqual({ count: 3, exact: true })
  })

  it('unticks events and starts from the first page when the filters change; Clear filters resets them all', async () => {
    const queries: EventQuery[] = []
    const api = fakeApi({
      getStats: async () => statsAt(1),
      listEvents: async (query) => {
        queries.push(query)
        return pageOf(range(1, 300), query)
      },
      countEvents: async () => ({ count: 300, exact: true })
    })
    const store = storeOn(api)
    await store.getState().poll()
    store.getState().toggleChecked(300)
    store.getState().setReceivedFilter({ kind: 'between', from: '', to: '' })
    store.getState().setStatusFilter('failed')
    expect(store.getState().checkedIds).toEqual([])
    store.getState().clearFilters()
    await settle()
    expect(store.getState().filters).toEqual({
      status: '',
      destination: '',
      search: '',
      name: '',
      user: '',
      attemptId: null,
      received: { kind: 'any' }
    })
    expect(queries.at(-1)).toEqual({ limit: 200 })
  })

  it('drops a "Load more" page read with filters that changed meanwhile', async () => {
    const older = deferred<EventPage>()
    const api = fakeApi({
      getStats: async () => statsAt(1),
      listEvents: (query) =>
        query.beforeId === undefined ? Promise.resolve(pageOf(range(1, 300), query)) : older.promise,
      countEvents: async () => ({ count: 300, exact: true })
    })
    const store = storeOn(api)
    await store.getState().poll()
    const loading = store.getState().loadMore()
    store.getState().setStatusFilter('sent')
    await settle()
    older.resolve(pageOf(range(1, 300), { beforeId: 101, limit: 200 }))
    await loading
    expect(store.getState().events).toHaveLength(200)
    expect(store.getState().loadingMore).toBe(false)
  })

  it('applies a typed name and user after a pause in typing, exactly as typed, to the list and the count', async () => {
    const queries: EventQuery[] = []
    const counted: EventQuery[] = []
    const api = fakeApi({
      getStats: async () => statsAt(1),
      listEvents: async (query) => {
        queries.push(query)
        return pageOf([1, 2], query)
      },
      countEvents: async (query) => {
        counted.push(query)
        return { count: 2, exact: true }
      }
    })
    const store = storeOn(api)
    await store.getState().poll()
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    store.getState().typeFilter('name', 'sign')
    store.getState().typeFilter('name', 'signup ')
    store.getState().typeFilter('user', 'ann')
    expect(store.getState().typed).toEqual({ search: '', name: 'signup ', user: 'ann' })
    expect(queries).toHaveLength(1)
    vi.advanceTimersByTime(250)
    vi.useRealTimers()
    await settle()
    expect(store.getState().filters).toMatchObject({ name: 'signup ', user: 'ann' })
    expect(queries.at(-1)).toEqual({ name: 'signup ', user: 'ann', limit: 200 })
    expect(counted.at(-1)).toEqual({ name: 'signup ', user: 'ann' })
    // One read per pause, not one per key.
    expect(queries).toHaveLength(3)
  })

  it('Clear filters empties the typed fields too, and a typed filter still waiting never applies', async () => {
    const api = fakeApi({
      getStats: async () => statsAt(1),
      listEvents: async (query) => pageOf([1], query),
      countEvents: async () => ({ count: 1, exact: true })
    })
    const store = storeOn(api)
    await store.getState().poll()
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    store.getState().typeFilter('user', 'ann')
    vi.advanceTimersByTime(250)
    store.getState().typeFilter('name', 'signup')
    store.getState().clearFilters()
    vi.advanceTimersByTime(250)
    vi.useRealTimers()
    expect(store.getState().typed).toEqual({ search: '', name: '', user: '' })
    expect(store.getState().filters).toMatchObject({ name: '', user: '' })
  })

  it('offers the names the collector has stored', async () => {
    const store = storeOn(fakeApi({ listEventNames: async () => ['checkout', 'signup'] }))
    await store.getState().loadEventNames()
    expect(store.getState().eventNames).toEqual(['checkout', 'signup'])
  })
})
