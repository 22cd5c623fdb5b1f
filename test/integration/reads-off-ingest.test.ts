import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startTestCollector, type TestCollector } from '../support/collector'
import { messageIdOf, whisperrEvent } from '../support/whisperr-events'

/**
 * The admin API's reads run on the reader's own connection in a worker thread, not on the
 * connection (and thread) that commits ingest: they answer while that connection holds a write
 * transaction open, from the last commit.
 */
describe('reads off the ingest thread', () => {
  let outpost: TestCollector

  beforeEach(async () => {
    outpost = await startTestCollector({
      destinations: [{ id: 'whisperr', vendor: 'whisperr', baseUrl: 'http://127.0.0.1:9', apiKey: 'k' }]
    })
    await outpost.collector.api.pauseDestination({ id: 'whisperr' })
  })
  afterEach(async () => {
    await outpost?.close()
  })

  it('lists and shows events from the last commit while the writer holds a transaction open', async () => {
    const event = whisperrEvent()
    expect((await outpost.post('/whisperr/v1/events/track', event)).status).toBe(202)
    const [committed] = (await outpost.api.listEvents({})).events
    expect(committed?.messageId).toBe(messageIdOf(event))
    const { db, outbox } = outpost.collector.store
    db.exec('BEGIN IMMEDIATE')
    try {
      const [uncommitted] = outbox.enqueueEvents(
        [
          [
            {
              destination: 'whisperr',
              messageId: 'uncommitted',
              kind: 'track',
              name: 'not_yet',
              userKey: 'u1',
              occurredAt: null,
              payload: '{}',
              upstreamParams: null
            }
          ]
        ],
        Date.now()
      )
      expect(uncommitted?.inserted).toBe(1)
      // The writer's connection sees its own row: a read answered on it would list it too.
      expect(outpost.collector.store.queries.listEvents({}).events).toHaveLength(2)

      const page = await outpost.api.listEvents({})
      expect(page.events.map((event) => event.messageId)).toEqual([committed!.messageId])
      expect(await outpost.api.getEvent({ id: committed!.id + 1 })).toBeNull()
      expect((await outpost.api.getEvent({ id: committed!.id }))?.messageId).toBe(committed!.messageId)
      // The name filter's suggestions too: the writer's connection would offer the uncommitted name.
      expect(outpost.collector.store.queries.eventNames(500)).toEqual(['feature_used', 'not_yet'])
      expect(await outpost.api.listEventNames({})).toEqual(['feature_used'])
    } finally {
      db.exec('COMMIT')
    }
    expect(await outpost.api.listEventNames({})).toEqual(['feature_used', 'not_yet'])
    const after = await outpost.api.listEvents({})
    expect(after.events.map((event) => event.messageId)).toEqual(['uncommitted', committed!.messageId])
  })
})
