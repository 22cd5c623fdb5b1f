import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ApiRequestError } from '../../src/shared/http-client'
import { startTestCollector, type TestCollector } from '../support/collector'
import { newEvent } from '../support/outbox-events'
import { eventually } from '../support/temp'

describe('bulk actions by filter over the admin API', () => {
  let outpost: TestCollector

  beforeEach(async () => {
    outpost = await startTestCollector({
      destinations: [
        { id: 'keyless', vendor: 'whisperr' },
        { id: 'other', vendor: 'whisperr' }
      ]
    })
    const { store } = outpost.collector
    store.outbox.enqueueEvents(
      [Array.from({ length: 12 }, (_, i) => newEvent(`k-${i}`, { destination: 'keyless' }))],
      1
    )
    store.outbox.enqueueEvents([[newEvent('o-1', { destination: 'other' })]], 1)
    store.db.prepare(`UPDATE outbox SET status = 'sent' WHERE message_id IN ('k-0', 'k-1')`).run()
  })
  afterEach(() => outpost.close())

  const refusal = async (call: Promise<unknown>) =>
    (await call.then(
      () => {
        throw new Error('expected the call to fail')
      },
      (error: unknown) => error
    )) as ApiRequestError

  it('previews the events the action takes, with their destinations and the newest id', async () => {
    const newest = outpost.collector.store.bulk.newestId()
    expect(
      await outpost.api.previewBulkAction({ action: 'discard', filter: { destination: 'keyless' } })
    ).toEqual({
      action: 'discard',
      count: 10,
      destinations: ['keyless'],
      throughId: newest
    })
    expect(await outpost.api.previewBulkAction({ action: 'discard', filter: {} })).toMatchObject({
      count: 11,
      destinations: ['keyless', 'other']
    })
    // Nothing failed or discarded: a resend takes none, and a status the action never takes counts none.
    expect((await outpost.api.previewBulkAction({ action: 'resend', filter: {} })).count).toBe(0)
    expect(
      (await outpost.api.previewBulkAction({ action: 'discard', filter: { status: 'sent' } })).count
    ).toBe(0)
    expect(
      await refusal(outpost.api.previewBulkAction({ action: 'discard', filter: { destination: 'nope' } }))
    ).toMatchObject({
      status: 404
    })
  })

  it('runs the action, reports its progress, records the person, and undoes it once', async () => {
    const preview = await outpost.api.previewBulkAction({
      action: 'discard',
      filter: { destination: 'keyless' }
    })
    const started = await outpost.api.startBulkAction({
      action: 'discard',
      filter: { destination: 'keyless' },
      throughId: preview.throughId,
      expected: preview.count
    })
    const done = await eventually(async () => {
      const progress = await outpost.api.getBulkAction({ id: started.id })
      expect(progress.state).toBe('done')
      return progress
    })
    expect(done).toMatchObject({ changed: 10, expected: 10, undone: false })
    const { events } = await outpost.api.listEvents({ status: 'discarded', limit: 1 })
    expect((await outpost.api.getEvent({ id: events[0]!.id }))?.history[0]).toMatchObject({
      action: 'discard',
      actor: 'web console'
    })

    expect(await outpost.api.undoBulkDiscard({ id: started.id })).toEqual({ restored: 10, leftAlone: 0 })
    expect((await outpost.api.countEvents({ status: 'discarded' })).count).toBe(0)
    expect(await refusal(outpost.api.undoBulkDiscard({ id: started.id }))).toMatchObject({ status: 409 })
    expect(await refusal(outpost.api.getBulkAction({ id: started.id + 1 }))).toMatchObject({ status: 404 })
  })
})
