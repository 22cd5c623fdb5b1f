import { afterEach, describe, expect, it } from 'vitest'
import { startMockWhisperr, type MockWhisperr } from '../mocks/whisperr'
import { startTestCollector, type TestCollector } from '../support/collector'
import { eventually } from '../support/temp'
import { whisperrEvent } from '../support/whisperr-events'

describe('the network coming back', () => {
  let offline: MockWhisperr
  let limited: MockWhisperr
  let outpost: TestCollector

  afterEach(async () => {
    await outpost.close()
    await offline.close()
    await limited.close()
  })

  it('makes offline destinations retry at once, and leaves Retry-After alone', async () => {
    offline = await startMockWhisperr({ apiKey: 'k' })
    limited = await startMockWhisperr({ apiKey: 'k' })
    let addresses = ['192.0.2.10']
    outpost = await startTestCollector({
      destinations: [
        { id: 'offline', vendor: 'whisperr', baseUrl: offline.url, apiKey: 'k' },
        { id: 'limited', vendor: 'whisperr', baseUrl: limited.url, apiKey: 'k' }
      ],
      // The backoff floor is a tenth of the base: no retry of its own comes within 10 s.
      sync: { backoffBaseMs: 100_000, backoffMaxMs: 100_000 },
      networkAddresses: () => addresses
    })
    const hold = async (id: string) =>
      (await outpost.api.getStats({})).destinations.find((destination) => destination.id === id)?.hold

    await offline.stop()
    limited.failNext(1, { type: 'status', status: 429, headers: { 'retry-after': '60' } })
    await outpost.post('/offline/v1/events/track', whisperrEvent())
    await outpost.post('/limited/v1/events/track', whisperrEvent())
    await eventually(async () => expect(await hold('offline')).toBe('offline'))
    await eventually(() => expect(limited.requests).toHaveLength(1))

    await offline.restart()
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    expect(offline.requests).toHaveLength(0)

    addresses = ['192.0.2.10', '198.51.100.7']
    await eventually(() => expect(offline.received.size).toBe(1), 5_000, 'delivered once the network came up')
    expect(await hold('offline')).toBeNull()
    expect(limited.requests).toHaveLength(1)
  })
})
