import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ActivityRange, DestinationActivity } from '../../src/shared/activity'
import { startMockWhisperr, type MockWhisperr } from '../mocks/whisperr'
import { startTestCollector, type TestCollector } from '../support/collector'
import { eventually } from '../support/temp'
import { whisperrEvent } from '../support/whisperr-events'

const API_KEY = 'wk_activity'

/** A destination's chart added up: what the buckets say happened over the range, and its backlog now. */
function totalsOf(chart: DestinationActivity | undefined) {
  const buckets = chart?.buckets ?? []
  const sum = (field: 'received' | 'delivered' | 'failed') =>
    buckets.reduce((total, bucket) => total + bucket[field], 0)
  return {
    received: sum('received'),
    delivered: sum('delivered'),
    failed: sum('failed'),
    backlog: buckets.at(-1)?.backlog ?? null
  }
}

describe('activity charts from real ingest and delivery', () => {
  let upstream: MockWhisperr
  let outpost: TestCollector

  beforeEach(async () => {
    upstream = await startMockWhisperr({ apiKey: API_KEY })
    outpost = await startTestCollector({
      destinations: [
        { id: 'whisperr', vendor: 'whisperr', baseUrl: upstream.url, apiKey: API_KEY },
        // No key: what it takes waits, the backlog.
        { id: 'keyless', vendor: 'whisperr', baseUrl: upstream.url }
      ]
    })
  })
  afterEach(async () => {
    await outpost.close()
    await upstream.close()
  })

  const activity = async (range: ActivityRange) => {
    const report = await outpost.api.getActivity({ range })
    const chart = (id: string) => totalsOf(report.destinations.find((d) => d.destination === id))
    return { whisperr: chart('whisperr'), keyless: chart('keyless'), report }
  }

  it('counts events stored, delivered and failed, and the backlog, in both ranges and across a restart', async () => {
    const events = Array.from({ length: 5 }, () => whisperrEvent())
    expect((await outpost.post('/whisperr/v1/events/batch', { events })).status).toBe(202)
    // The same events again: stored once, counted once.
    expect((await outpost.post('/whisperr/v1/events/batch', { events })).status).toBe(202)
    await upstream.waitForEvents(5)
    upstream.failNext(1, { type: 'status', status: 422, body: { error: 'unknown plan' } })
    expect((await outpost.post('/whisperr/v1/events/track', whisperrEvent())).status).toBe(202)
    const held = Array.from({ length: 3 }, () => whisperrEvent())
    expect((await outpost.post('/keyless/v1/events/batch', { events: held })).status).toBe(202)

    const expected = {
      whisperr: { received: 6, delivered: 5, failed: 1, backlog: 0 },
      keyless: { received: 3, delivered: 0, failed: 0, backlog: 3 }
    }
    await eventually(async () => {
      const { whisperr, keyless } = await activity('hour')
      expect({ whisperr, keyless }).toEqual(expected)
    })
    const day = await activity('day')
    expect({ whisperr: day.whisperr, keyless: day.keyless }).toEqual(expected)
    expect(day.report.destinations[0]?.buckets).toHaveLength(96)

    // A stop writes what was counted; the next process reads it back, and adds to it.
    await outpost.restart()
    const afterRestart = await activity('hour')
    expect({ whisperr: afterRestart.whisperr, keyless: afterRestart.keyless }).toEqual(expected)
    expect((await outpost.post('/whisperr/v1/events/track', whisperrEvent())).status).toBe(202)
    await eventually(async () =>
      expect((await activity('hour')).whisperr).toEqual({ received: 7, delivered: 6, failed: 1, backlog: 0 })
    )
  })

  it('refuses a range it does not know', async () => {
    const answer = await fetch(`${outpost.url}/api/activity?range=week`, {
      headers: { authorization: 'Bearer test-token' }
    })
    expect(answer.status).toBe(400)
  })
})
