import { describe, expect, it, vi } from 'vitest'
import { ApiRequestError } from '../../src/shared/api-error'
import type { EventDetail } from '../../src/shared/model'
import {
  deferred,
  detailOf,
  fakeApi,
  settle,
  statsAt,
  storeOn,
  type Deferred
} from '../support/fake-outpost-api'

const listOf = async () => ({ events: [], nextBeforeId: null })
const countOf = async () => ({ count: 0, exact: true })

describe('renderer store: the selected event', () => {
  it('re-reads the open event when the outbox version changes, and only then', async () => {
    let version = 1
    let name = 'Viewed'
    const getEvent = vi.fn(async ({ id }: { id: number }) => detailOf(id, name))
    const api = fakeApi({
      getStats: async () => statsAt(version),
      listEvents: listOf,
      countEvents: countOf,
      getEvent
    })
    const store = storeOn(api)
    await store.getState().poll()
    store.getState().select(7)
    expect(store.getState().detailState).toBe('loading')
    await settle()
    expect(store.getState().detail?.name).toBe('Viewed')
    expect(store.getState().detailState).toBe('loaded')

    await store.getState().poll()
    await settle()
    expect(getEvent).toHaveBeenCalledTimes(1)

    name = 'Edited elsewhere'
    version = 2
    await store.getState().poll()
    await settle()
    expect(getEvent).toHaveBeenCalledTimes(2)
    expect(store.getState().detail?.name).toBe('Edited elsewhere')
  })

  it('drops the answer for an event that is no longer selected', async () => {
    const answers = new Map<number, Deferred<EventDetail | null>>()
    const api = fakeApi({
      getEvent: ({ id }) => {
        const answer = deferred<EventDetail | null>()
        answers.set(id, answer)
        return answer.promise
      }
    })
    const store = storeOn(api)
    store.getState().select(1)
    store.getState().select(2)
    answers.get(2)!.resolve(detailOf(2, 'Second'))
    await settle()
    answers.get(1)!.resolve(detailOf(1, 'First'))
    await settle()
    expect(store.getState().selectedId).toBe(2)
    expect(store.getState().detail?.name).toBe('Second')
  })

  it('says an event is missing when the collector no longer has it', async () => {
    const store = storeOn(fakeApi({ getEvent: async () => null }))
    store.getState().select(3)
    await settle()
    expect(store.getState().detailState).toBe('missing')
  })

  it('returns the fields a vendor refused an edit for, and asks for a token when the session ended', async () => {
    const problems = [{ field: 'event', reason: 'is required' }]
    let refusal = new ApiRequestError('The payload breaks the vendor rules', 422, 'invalid_payload', problems)
    const store = storeOn(fakeApi({ editPayload: () => Promise.reject(refusal) }))
    expect(await store.getState().editPayload(3, '{}')).toEqual({
      ok: false,
      message: 'The payload breaks the vendor rules',
      problems
    })
    refusal = new ApiRequestError('Session ended', 401, 'session_ended')
    await store.getState().editPayload(3, '{}')
    expect(store.getState().appState).toBe('auth')
    expect(store.getState().authProblem).toBe('Session ended')
    expect(store.getState().client()).toBeNull()
  })

  it('moves the selection along the rows shown, stopping at the ends', async () => {
    const api = fakeApi({
      getStats: async () => statsAt(1),
      listEvents: async () => ({ events: [9, 8, 7].map((id) => detailOf(id, 'Viewed')), nextBeforeId: null }),
      countEvents: countOf,
      getEvent: async ({ id }) => detailOf(id, 'Viewed')
    })
    const store = storeOn(api)
    await store.getState().poll()
    store.getState().moveSelection(1)
    expect(store.getState().selectedId).toBe(9)
    store.getState().moveSelection(1)
    store.getState().moveSelection(1)
    store.getState().moveSelection(1)
    expect(store.getState().selectedId).toBe(7)
    store.getState().moveSelection(-1)
    expect(store.getState().selectedId).toBe(8)
  })
})
