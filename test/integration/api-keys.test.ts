import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startMockWhisperr, type MockWhisperr } from '../mocks/whisperr'
import { startTestCollector, type TestCollector } from '../support/collector'
import { eventually } from '../support/temp'
import { whisperrEvent } from '../support/whisperr-events'

const KEY = 'wk_live_right'

describe('vendor keys set in Outpost', () => {
  let upstream: MockWhisperr
  let outpost: TestCollector

  beforeEach(async () => {
    upstream = await startMockWhisperr({ apiKey: KEY })
  })
  afterEach(async () => {
    await outpost.close()
    await upstream.close()
  })

  const start = (apiKey?: string) =>
    startTestCollector({
      destinations: [{ id: 'whisperr', vendor: 'whisperr', baseUrl: upstream.url, apiKey }]
    })
  const summary = async () => (await outpost.api.getStats({})).destinations[0]!
  const track = () => outpost.post('/whisperr/v1/events/track', whisperrEvent())

  it('delivers the events held for want of a key once one is set, and keeps it across a restart', async () => {
    outpost = await start()
    await track()
    expect(await summary()).toMatchObject({ hold: 'not_configured', keySource: null, configured: false })
    expect((await summary()).holdReason).toMatch(/Set key/)

    await outpost.api.setApiKey({ id: 'whisperr', apiKey: KEY })
    await eventually(() => expect(upstream.received.size).toBe(1))
    expect(await summary()).toMatchObject({
      hold: null,
      keySource: 'outpost',
      configured: true,
      keysEncrypted: false
    })

    await outpost.restart()
    expect((await summary()).keySource).toBe('outpost')
    await track()
    await eventually(() => expect(upstream.received.size).toBe(2))
  })

  it('lifts an auth hold when the key is fixed, but leaves a pause alone', async () => {
    outpost = await start('wk_live_wrong')
    await track()
    await eventually(async () => expect((await summary()).hold).toBe('auth'))
    await outpost.api.pauseDestination({ id: 'whisperr' })

    await outpost.api.setApiKey({ id: 'whisperr', apiKey: KEY })
    expect((await summary()).hold).toBe('paused')
    expect(upstream.received.size).toBe(0)
    await outpost.api.resumeDestination({ id: 'whisperr' })
    await eventually(() => expect(upstream.received.size).toBe(1))
  })

  it('does not hold the destination for a refusal of a key that was replaced meanwhile', async () => {
    outpost = await start('wk_live_wrong')
    upstream.failNext(1, { type: 'slow', delayMs: 800 })
    await track()
    await eventually(() => expect(upstream.requests).toHaveLength(1))
    // The request with the old key is still waiting for its 401 when the right key is set.
    await outpost.api.setApiKey({ id: 'whisperr', apiKey: KEY })
    await eventually(() => expect(upstream.received.size).toBe(1), 5_000)
    expect(upstream.requests.map((request) => request.status)).toEqual([401, 202])
    expect((await summary()).hold).toBeNull()
  })

  it("falls back to the config's key when the one set in Outpost is removed", async () => {
    outpost = await start('wk_from_config')
    expect((await summary()).keySource).toBe('config')
    await outpost.api.setApiKey({ id: 'whisperr', apiKey: KEY })
    expect((await summary()).keySource).toBe('outpost')
    await outpost.api.setApiKey({ id: 'whisperr', apiKey: null })
    await outpost.restart()
    expect((await summary()).keySource).toBe('config')
  })

  it('refuses a blank key or one with spaces, and an unknown destination', async () => {
    outpost = await start()
    for (const apiKey of ['', 'two words']) {
      await expect(outpost.api.setApiKey({ id: 'whisperr', apiKey })).rejects.toThrow(/apiKey/)
    }
    await expect(outpost.api.setApiKey({ id: 'nowhere', apiKey: KEY })).rejects.toThrow(
      /No destination "nowhere"/
    )
    expect((await summary()).keySource).toBeNull()
  })
})
