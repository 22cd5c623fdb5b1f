import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startMockWhisperr, type MockWhisperr } from '../mocks/whisperr'
import { startTestCollector, type TestCollector } from '../support/collector'
import { eventually } from '../support/temp'
import { whisperrEvent } from '../support/whisperr-events'

/** "Sync now" says which destinations a hold keeps from sending, and how much waits there. */
describe('sync now on held destinations', () => {
  let upstream: MockWhisperr
  let outpost: TestCollector

  beforeAll(async () => {
    upstream = await startMockWhisperr({ apiKey: 'right-key' })
    outpost = await startTestCollector({
      destinations: [
        { id: 'live', vendor: 'whisperr', baseUrl: upstream.url, apiKey: 'right-key' },
        { id: 'paused', vendor: 'whisperr', baseUrl: upstream.url, apiKey: 'right-key' },
        { id: 'keyless', vendor: 'whisperr', baseUrl: upstream.url },
        // The vendor refuses this key: held for it, probed again in minutes (the default).
        { id: 'refused', vendor: 'whisperr', baseUrl: upstream.url, apiKey: 'wrong-key' }
      ]
    })
    await outpost.api.pauseDestination({ id: 'paused' })
    for (const [destination, count] of [
      ['paused', 2],
      ['keyless', 1],
      ['refused', 1]
    ] as const) {
      const events = Array.from({ length: count }, () => whisperrEvent())
      expect((await outpost.post(`/${destination}/v1/events/batch`, { events })).status).toBe(202)
    }
    await eventually(async () => {
      const refused = (await outpost.api.getStats({})).destinations.find((d) => d.id === 'refused')
      expect(refused?.hold).toBe('auth')
    })
  })
  afterAll(async () => {
    await outpost?.close()
    await upstream?.close()
  })

  it('names a paused destination and its waiting events, and sends nothing', async () => {
    expect(await outpost.api.syncNow({ id: 'paused' })).toEqual({
      syncing: [],
      held: [{ destination: 'paused', blocker: 'paused', waiting: 2 }]
    })
    const counts = (await outpost.api.getStats({})).destinations.find((d) => d.id === 'paused')?.counts
    expect(counts).toMatchObject({ queued: 2, sent: 0 })
  })

  it('says that a destination delivering now is syncing', async () => {
    expect(await outpost.api.syncNow({ id: 'live' })).toEqual({ syncing: ['live'], held: [] })
  })

  it('lists, for Sync all, what syncs and what each hold keeps back', async () => {
    expect(await outpost.api.syncNow({})).toEqual({
      syncing: ['live'],
      held: [
        { destination: 'paused', blocker: 'paused', waiting: 2 },
        { destination: 'keyless', blocker: 'not_configured', waiting: 1 },
        { destination: 'refused', blocker: 'auth', waiting: 1 }
      ]
    })
  })

  it('syncs a paused destination once it is resumed', async () => {
    await outpost.api.resumeDestination({ id: 'paused' })
    expect(await outpost.api.syncNow({ id: 'paused' })).toEqual({ syncing: ['paused'], held: [] })
    await eventually(async () => {
      const counts = (await outpost.api.getStats({})).destinations.find((d) => d.id === 'paused')?.counts
      expect(counts?.sent).toBe(2)
    })
  })
})
