import { describe, expect, it } from 'vitest'
import { ApiRequestError } from '../../src/shared/api-error'
import type { EventPage } from '../../src/shared/model'
import { deferred, fakeApi, settle, statsAt, storeOn, summary } from '../support/fake-outpost-api'

const emptyList = async () => ({ events: [], nextBeforeId: null })
const noCount = async () => ({ count: 0, exact: true })

describe('renderer store: the connection', () => {
  it('says the collector cannot be reached, and clears that when a poll succeeds', async () => {
    let reachable = false
    const api = fakeApi({
      getStats: async () => {
        if (!reachable) throw new TypeError('fetch failed')
        return statsAt(1)
      },
      listEvents: emptyList,
      countEvents: noCount
    })
    const store = storeOn(api)
    await store.getState().poll()
    expect(store.getState().appState).toBe('error')
    expect(store.getState().connectionProblem).toBe('Cannot reach the collector (fetch failed). Retrying…')
    reachable = true
    await store.getState().poll()
    expect(store.getState().appState).toBe('ready')
    expect(store.getState().connectionProblem).toBeNull()
  })

  it('tells a refusal from the collector apart from no answer', async () => {
    const api = fakeApi({ getStats: () => Promise.reject(new ApiRequestError('disk full', 500, 'internal')) })
    const store = storeOn(api)
    await store.getState().poll()
    expect(store.getState().connectionProblem).toBe(
      'The collector answered with an error: disk full. Retrying…'
    )
  })

  it('asks for a token when a poll is refused as unauthorized, and reads the list again once signed in', async () => {
    let signedIn = true
    let listed = 0
    const api = fakeApi({
      getStats: async () => {
        if (!signedIn) throw new ApiRequestError('Session ended', 401, 'unauthorized')
        return statsAt(1)
      },
      listEvents: async () => {
        listed += 1
        return emptyList()
      },
      countEvents: noCount
    })
    const store = storeOn(api)
    await store.getState().poll()
    signedIn = false
    await store.getState().poll()
    expect(store.getState().appState).toBe('auth')
    expect(store.getState().authProblem).toBe('Session ended')
    expect(store.getState().client()).toBeNull()

    signedIn = true
    store.getState().submitToken('right-token')
    expect(store.getState().appState).toBe('loading')
    await store.getState().poll()
    expect(store.getState().appState).toBe('ready')
    // Another session may see other events: the list is read again though the outbox did not change.
    expect(listed).toBe(2)
  })

  it('gives each store its own bookkeeping: the reads of one store never make the answers of another stale', async () => {
    const slowPage = deferred<EventPage>()
    const slowApi = fakeApi({
      getStats: async () => statsAt(1),
      listEvents: () => slowPage.promise,
      countEvents: noCount
    })
    const quickApi = fakeApi({
      getStats: async () => statsAt(1),
      listEvents: emptyList,
      countEvents: noCount
    })
    const slow = storeOn(slowApi)
    const quick = storeOn(quickApi)
    const slowPoll = slow.getState().poll()
    await settle()
    await quick.getState().poll()
    slowPage.resolve({ events: [summary(1)], nextBeforeId: null })
    await slowPoll
    expect(slow.getState().events.map((event) => event.id)).toEqual([1])
    expect(quick.getState().events).toEqual([])
  })
})
