import { describe, expect, it } from 'vitest'
import { ApiRequestError } from '../../src/shared/api-error'
import { fakeApi, statsAt, storeOn, summary } from '../support/fake-outpost-api'

describe('renderer store: actions, notices and ticked events', () => {
  it('says how many events a bulk resend changed and skipped, and unticks them', async () => {
    const api = fakeApi({
      getStats: async () => statsAt(1),
      listEvents: async () => ({ events: [summary(3), summary(2), summary(1)], nextBeforeId: null }),
      countEvents: async () => ({ count: 3, exact: true }),
      resendEvents: async () => ({ changed: [3], skipped: [2, 1] })
    })
    const store = storeOn(api)
    await store.getState().poll()
    store.getState().checkAll(true)
    expect(store.getState().checkedIds).toEqual([3, 2, 1])
    store.getState().toggleChecked(2)
    expect(store.getState().checkedIds).toEqual([3, 1])
    await store.getState().resendEvents({ ids: [3, 1] })
    expect(store.getState().notice).toBe(
      '1 event resent; 2 skipped: only failed or discarded events are resent.'
    )
    expect(store.getState().checkedIds).toEqual([])
  })

  it('puts a failed action in the banner with what was tried, until dismissed', async () => {
    const api = fakeApi({
      pauseDestination: () => Promise.reject(new ApiRequestError('no such destination', 404, 'not_found'))
    })
    const store = storeOn(api)
    await store.getState().pauseDestination('nowhere')
    expect(store.getState().banner).toBe('Pausing nowhere failed: no such destination')
    store.getState().dismissBanner()
    expect(store.getState().banner).toBeNull()
  })

  it('answers false when a key could not be saved, true when it was', async () => {
    let refuse = true
    const api = fakeApi({
      setApiKey: async () => {
        if (refuse) throw new ApiRequestError('too short', 400, 'invalid_request')
        return undefined as never
      }
    })
    const store = storeOn(api)
    expect(await store.getState().setApiKey('whisperr', 'x')).toBe(false)
    refuse = false
    expect(await store.getState().setApiKey('whisperr', 'a-long-enough-key')).toBe(true)
  })
})
