import { describe, expect, it, vi } from 'vitest'
import { ApiRequestError } from '../../src/shared/api-error'
import type { BulkActionProgress, BulkPreview } from '../../src/shared/model'
import { deferred, fakeApi, settle, statsAt, storeOn, type Deferred } from '../support/fake-outpost-api'

const preview = (action: BulkPreview['action'], count: number): BulkPreview => ({
  action,
  count,
  destinations: ['keyless'],
  throughId: 99
})

function progress(overrides: Partial<BulkActionProgress>): BulkActionProgress {
  return {
    id: 7,
    action: 'discard',
    state: 'running',
    expected: 3,
    changed: 0,
    error: null,
    undoableUntil: null,
    undone: false,
    ...overrides
  }
}

describe('renderer store: bulk actions by filter', () => {
  it('previews the filters as they are, name and user included, and drops a preview of a closed confirmation', async () => {
    const previews: Deferred<BulkPreview>[] = []
    const previewBulkAction = vi.fn(() => {
      const answer = deferred<BulkPreview>()
      previews.push(answer)
      return answer.promise
    })
    const api = fakeApi({
      getStats: async () => statsAt(1),
      listEvents: async () => ({ events: [], nextBeforeId: null }),
      countEvents: async () => ({ count: 0, exact: true }),
      previewBulkAction
    })
    const store = storeOn(api)
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    store.getState().setStatusFilter('failed')
    store.getState().typeFilter('user', 'ann')
    vi.advanceTimersByTime(250)
    vi.useRealTimers()

    const resend = store.getState().previewBulk('resend')
    expect(store.getState().bulkConfirmation).toEqual({ phase: 'counting', action: 'resend' })
    expect(previewBulkAction).toHaveBeenCalledWith({
      action: 'resend',
      filter: { status: 'failed', user: 'ann' }
    })
    store.getState().cancelBulk()
    const discard = store.getState().previewBulk('discard')
    previews[1]!.resolve(preview('discard', 3))
    await discard
    previews[0]!.resolve(preview('resend', 5))
    await resend
    expect(store.getState().bulkConfirmation).toEqual({
      phase: 'ready',
      preview: preview('discard', 3),
      filter: { status: 'failed', user: 'ann' }
    })
  })

  it('says why a preview was refused', async () => {
    const api = fakeApi({
      previewBulkAction: () =>
        Promise.reject(new ApiRequestError('matches at least 10000 events', 409, 'conflict'))
    })
    const store = storeOn(api)
    await store.getState().previewBulk('discard')
    expect(store.getState().bulkConfirmation).toEqual({
      phase: 'refused',
      action: 'discard',
      message: 'matches at least 10000 events'
    })
  })

  it('follows a run through its progress to its end, and reports an undo of it', async () => {
    const steps = [progress({ changed: 2 }), progress({ state: 'done', changed: 3 })]
    const api = fakeApi({
      startBulkAction: async () => progress({}),
      getBulkAction: async () => steps.shift()!,
      undoBulkDiscard: async () => ({ restored: 2, leftAlone: 1 })
    })
    const store = storeOn(api)
    const shown: string[] = []
    store.subscribe(({ bulkRun }) => {
      if (bulkRun?.phase === 'running' || bulkRun?.phase === 'finished')
        shown.push(`${bulkRun.phase} ${bulkRun.progress.changed}`)
    })
    await store.getState().startBulk(preview('discard', 3), { user: 'ann' })
    expect(shown).toEqual(['running 0', 'running 2', 'running 3', 'finished 3'])

    await store.getState().undoBulk()
    expect(store.getState().bulkRun).toEqual({ phase: 'undone', outcome: { restored: 2, leftAlone: 1 } })
  })

  it('hides Undo once its time is over', async () => {
    const api = fakeApi({
      startBulkAction: async () =>
        progress({ state: 'done', changed: 3, undoableUntil: new Date(Date.now() + 50).toISOString() })
    })
    const store = storeOn(api)
    await store.getState().startBulk(preview('discard', 3), {})
    expect(store.getState().bulkRun).toMatchObject({
      phase: 'finished',
      progress: { undoableUntil: expect.any(String) }
    })
    await vi.waitFor(() =>
      expect(store.getState().bulkRun).toMatchObject({ phase: 'finished', progress: { undoableUntil: null } })
    )
  })

  it('says when a run could not start, and refuses a second preview while one runs', async () => {
    const running = deferred<BulkActionProgress>()
    let refuse = true
    const previewBulkAction = vi.fn(async () => preview('resend', 1))
    const api = fakeApi({
      startBulkAction: () =>
        refuse
          ? Promise.reject(new ApiRequestError('the preview is out of date', 409, 'conflict'))
          : Promise.resolve(progress({})),
      getBulkAction: () => running.promise,
      previewBulkAction
    })
    const store = storeOn(api)
    await store.getState().startBulk(preview('discard', 3), {})
    expect(store.getState().bulkRun).toEqual({ phase: 'failed', message: 'the preview is out of date' })

    refuse = false
    const run = store.getState().startBulk(preview('discard', 3), {})
    await settle()
    expect(store.getState().bulkRun?.phase).toBe('running')
    await store.getState().previewBulk('resend')
    expect(previewBulkAction).not.toHaveBeenCalled()
    running.resolve(progress({ state: 'failed', changed: 1, error: 'disk full' }))
    await run
    expect(store.getState().bulkRun).toMatchObject({
      phase: 'finished',
      progress: { state: 'failed', error: 'disk full' }
    })
  })
})
