import { describe, expect, it, vi } from 'vitest'
import { fakeApi, rejection, statsAt, storeOn } from '../support/fake-outpost-api'

describe('renderer store: the rejected requests', () => {
  it('reads the rejections only while their view is open and the log changed, dropping a selection that is gone', async () => {
    let log = { count: 2, lastId: 2 }
    let rejections = [rejection(2), rejection(1)]
    const listRejections = vi.fn(async () => rejections)
    const api = fakeApi({
      getStats: async () => statsAt(1, log),
      listEvents: async () => ({ events: [], nextBeforeId: null }),
      countEvents: async () => ({ count: 0, exact: true }),
      listRejections
    })
    const store = storeOn(api)
    await store.getState().poll()
    expect(listRejections).not.toHaveBeenCalled()

    store.getState().showView('rejected')
    await store.getState().poll()
    expect(store.getState().rejections.map((r) => r.id)).toEqual([2, 1])
    store.getState().moveRejectionSelection(1)
    store.getState().moveRejectionSelection(1)
    expect(store.getState().selectedRejectionId).toBe(1)
    await store.getState().poll()
    expect(listRejections).toHaveBeenCalledTimes(1)

    log = { count: 1, lastId: 3 }
    rejections = [rejection(3)]
    await store.getState().poll()
    expect(store.getState().rejections.map((r) => r.id)).toEqual([3])
    expect(store.getState().selectedRejectionId).toBeNull()
  })

  it('re-reads the rejections each time their view is opened again', async () => {
    const listRejections = vi.fn(async () => [rejection(1)])
    const api = fakeApi({
      getStats: async () => statsAt(1, { count: 1, lastId: 1 }),
      listEvents: async () => ({ events: [], nextBeforeId: null }),
      countEvents: async () => ({ count: 0, exact: true }),
      listRejections
    })
    const store = storeOn(api)
    store.getState().showView('rejected')
    await store.getState().poll()
    store.getState().showView('events')
    store.getState().showView('rejected')
    await store.getState().poll()
    expect(listRejections).toHaveBeenCalledTimes(2)
  })
})
