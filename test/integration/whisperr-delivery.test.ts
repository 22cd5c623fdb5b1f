import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startMockWhisperr, type MockWhisperr } from '../mocks/whisperr'
import { startTestCollector, type TestCollector } from '../support/collector'
import { eventually } from '../support/temp'
import { messageIdOf, whisperrEvent } from '../support/whisperr-events'

const API_KEY = 'wk_test_123'

describe('Whisperr end to end: ingest, outbox, delivery', () => {
  let upstream: MockWhisperr
  let outpost: TestCollector

  beforeEach(async () => {
    upstream = await startMockWhisperr({ apiKey: API_KEY })
    outpost = await startTestCollector({
      destinations: [{ id: 'whisperr', vendor: 'whisperr', baseUrl: upstream.url, apiKey: API_KEY }]
    })
  })
  afterEach(async () => {
    await outpost.close()
    await upstream.close()
  })

  const totals = async () => (await outpost.api.getStats({})).counts
  const deliveredIds = () => [...upstream.deliveries.keys()]

  it('delivers tracks, batches and identify exactly once, in order, with the message ids they came with', async () => {
    const single = whisperrEvent({ external_user_id: 'alice' })
    const batch = [whisperrEvent(), whisperrEvent(), whisperrEvent()]
    const identify = { external_user_id: 'alice', traits: { plan: 'pro' } }

    expect(await outpost.post('/whisperr/v1/events/track', single)).toMatchObject({
      status: 202,
      body: { accepted: 1, rejected: 0 }
    })
    expect(await outpost.post('/whisperr/v1/identify', identify)).toMatchObject({ status: 202 })
    expect(await outpost.post('/whisperr/v1/events/batch', { events: batch })).toMatchObject({
      status: 202,
      body: { accepted: 3, rejected: 0 }
    })

    await eventually(async () => expect((await totals()).sent).toBe(5), 10_000, 'all sent')
    expect(deliveredIds().sort()).toEqual([single, ...batch].map(messageIdOf).sort())
    expect([...upstream.deliveries.values()].every((count) => count === 1)).toBe(true)
    expect(upstream.identifies).toEqual([identify])
    // The identify was accepted between the single track and the batch, and went out between them.
    const kinds = upstream.log.map((entry) => entry.kind)
    expect(kinds.indexOf('identify')).toBe(1)
    for (const request of upstream.requests) {
      expect(request.headers['x-api-key']).toBe(API_KEY)
      expect(request.headers['content-type']).toMatch(/application\/json/)
    }
  })

  it('creates no duplicates when a client reposts the same events', async () => {
    const events = Array.from({ length: 10 }, () => whisperrEvent())
    await outpost.post('/whisperr/v1/events/batch', { events })
    const again = await outpost.post('/whisperr/v1/events/batch', { events })
    expect(again.status).toBe(202)
    expect(again.headers.get('x-outpost-duplicates')).toBe('10')
    await eventually(async () => expect((await totals()).sent).toBe(10))
    await outpost.post('/whisperr/v1/events/track', events[0])
    const page = await outpost.api.listEvents({})
    expect(page.events).toHaveLength(10)
    expect([...upstream.deliveries.values()]).toEqual(Array(10).fill(1))
  })

  it('sends two equal identifies as two calls, and an identify retried with its Idempotency-Key once', async () => {
    const identify = { external_user_id: 'alice', traits: { plan: 'pro' } }
    const key = { 'idempotency-key': 'identify-1' }
    const duplicates = []
    for (const headers of [{}, {}, key, key]) {
      const answer = await outpost.post('/whisperr/v1/identify', identify, headers)
      expect(answer.status).toBe(202)
      duplicates.push(answer.headers.get('x-outpost-duplicates'))
    }
    expect(duplicates).toEqual(['0', '0', '0', '1'])
    await eventually(async () => expect((await totals()).sent).toBe(3))
    expect(upstream.identifies).toEqual([identify, identify, identify])
  })

  it('starts delivery within a second of acceptance', async () => {
    const event = whisperrEvent()
    const acceptedAt = Date.now()
    await outpost.post('/whisperr/v1/events/track', event)
    await upstream.waitFor((requests) => requests.length > 0, 1_000, 'a delivery within 1 s')
    expect(upstream.requests[0]!.receivedAt - acceptedAt).toBeLessThan(1_000)
  })

  it.each([
    ['bad event_type', { event_type: 'Signed Up' }, /event_type/],
    ['occurred_at out of window', { occurred_at: '2020-01-01T00:00:00.000Z' }, /timestamp_out_of_window/],
    ['missing $message_id', { context: {} }, /context\.\$message_id is required/],
    ['unknown field', { colour: 'red' }, /colour is not a field/]
  ])('answers 400 naming the problem for %s, and stores nothing', async (_label, change, message) => {
    const response = await outpost.post('/whisperr/v1/events/batch', {
      events: [whisperrEvent(), whisperrEvent(change)]
    })
    expect(response.status).toBe(400)
    expect(response.body).toMatchObject({ error: 'invalid_request', message: expect.stringMatching(message) })
    expect((response.body as { errors: { index: number }[] }).errors[0]).toMatchObject({ index: 1 })
    expect((await outpost.api.listEvents({})).events).toEqual([])
  })

  it('answers 400 for 501 events and for a body that is not JSON, and stores nothing', async () => {
    const tooMany = await outpost.post('/whisperr/v1/events/batch', {
      events: Array.from({ length: 501 }, () => whisperrEvent())
    })
    expect(tooMany).toMatchObject({
      status: 400,
      body: { errors: [{ field: 'events', reason: 'must hold between 1 and 500 events' }] }
    })
    const notJson = await outpost.post('/whisperr/v1/events/track', '{"event_type": ')
    expect(notJson).toMatchObject({
      status: 400,
      body: { error: 'invalid_json', message: expect.stringMatching(/not valid JSON/) }
    })
    const unknownDestination = await outpost.post('/nowhere/v1/events/track', whisperrEvent())
    expect(unknownDestination).toMatchObject({ status: 404, body: { error: 'not_found' } })
    expect((await outpost.api.listEvents({})).events).toEqual([])
  })

  it('keeps events while the upstream is down and delivers each once when it is back', async () => {
    await upstream.stop()
    const events = Array.from({ length: 30 }, () => whisperrEvent())
    await outpost.post('/whisperr/v1/events/batch', { events: events.slice(0, 20) })
    for (const event of events.slice(20)) await outpost.post('/whisperr/v1/events/track', event)

    const stats = await eventually(async () => {
      const current = await outpost.api.getStats({})
      expect(current.counts.retrying).toBe(30)
      return current
    })
    expect(stats.destinations[0]).toMatchObject({
      hold: 'offline',
      holdReason: expect.stringMatching(/refused/)
    })
    const retrying = await outpost.api.getEvent({
      id: (await outpost.api.listEvents({ limit: 1 })).events[0]!.id
    })
    expect(retrying?.attemptsLog[0]).toMatchObject({ status: null, outcome: 'retry' })

    await upstream.restart()
    await eventually(
      async () => expect((await totals()).sent).toBe(30),
      10_000,
      'all sent after the upstream returned'
    )
    expect(deliveredIds().sort()).toEqual(events.map(messageIdOf).sort())
    expect([...upstream.deliveries.values()].every((count) => count === 1)).toBe(true)
    expect((await outpost.api.getStats({})).destinations[0]?.hold).toBeNull()
  })

  it('honours Retry-After on 429', async () => {
    upstream.failNext(1, { type: 'status', status: 429, headers: { 'retry-after': '1' } })
    await outpost.post('/whisperr/v1/events/track', whisperrEvent())
    await upstream.waitFor((requests) => requests.length >= 2, 5_000)
    const [first, second] = upstream.requests
    expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(950)
    await eventually(async () => expect((await totals()).sent).toBe(1))
  })

  it('resends after a timeout or a reset with the same message id, delivered once', async () => {
    upstream.failNext(1, { type: 'reset', handled: true })
    upstream.failNext(1, { type: 'timeout' })
    const event = whisperrEvent()
    await outpost.post('/whisperr/v1/events/track', event)
    await eventually(async () => expect((await totals()).sent).toBe(1), 15_000)
    const bodies = upstream.requests.map((request) => request.body)
    expect(bodies.length).toBe(3)
    expect(new Set(bodies).size).toBe(1)
    expect(upstream.deliveries.get(messageIdOf(event))).toBeGreaterThanOrEqual(1)
    expect(upstream.received.size).toBe(1)
  })

  it('holds delivery on 401, keeps the events, and resumes when a person says so', async () => {
    upstream.failNext(1, { type: 'status', status: 401, body: { error: 'bad key' } })
    await outpost.post('/whisperr/v1/events/track', whisperrEvent())
    const held = await eventually(async () => {
      const current = await outpost.api.getStats({})
      expect(current.destinations[0]?.hold).toBe('auth')
      return current
    })
    expect(held.counts.queued).toBe(1)
    expect(held.destinations[0]?.holdReason).toMatch(/refused the API key \(401/)
    await outpost.post('/whisperr/v1/events/track', whisperrEvent())
    expect(upstream.requests).toHaveLength(1)
    await outpost.api.resumeDestination({ id: 'whisperr' })
    await eventually(async () => expect((await totals()).sent).toBe(2))
  })

  it('resends a refused batch in halves to isolate the cause', async () => {
    await outpost.api.pauseDestination({ id: 'whisperr' })
    const events = Array.from({ length: 4 }, () => whisperrEvent())
    await outpost.post('/whisperr/v1/events/batch', { events })
    upstream.failNext(1, { type: 'status', status: 400, body: { error: 'one bad event' } })
    await outpost.api.resumeDestination({ id: 'whisperr' })
    await eventually(async () => expect((await totals()).sent).toBe(4))
    expect(upstream.requests.map((request) => (request.json as { events: unknown[] }).events.length)).toEqual(
      [4, 2, 2]
    )
  })

  it('marks an event failed when the upstream refuses it for good', async () => {
    upstream.failNext(1, { type: 'status', status: 422, body: { error: 'nope' } })
    await outpost.post('/whisperr/v1/events/track', whisperrEvent())
    const failed = await eventually(async () => {
      const page = await outpost.api.listEvents({ status: 'failed' })
      expect(page.events).toHaveLength(1)
      return page.events[0]!
    })
    expect(failed).toMatchObject({
      lastStatus: 422,
      lastError: expect.stringMatching(/refused the request \(422/)
    })
    const detail = await outpost.api.getEvent({ id: failed.id })
    expect(detail?.attemptsLog[0]).toMatchObject({
      status: 422,
      outcome: 'permanent',
      responseBody: '{"error":"nope"}'
    })
  })

  it('pauses, syncs now, and reports per-destination counts', async () => {
    await outpost.api.pauseDestination({ id: 'whisperr' })
    await outpost.post('/whisperr/v1/events/track', whisperrEvent())
    const paused = await outpost.api.getStats({})
    expect(paused.destinations[0]).toMatchObject({ paused: true, hold: 'paused', counts: { queued: 1 } })
    expect(upstream.requests).toHaveLength(0)
    await outpost.api.resumeDestination({ id: 'whisperr' })
    await outpost.api.syncNow({})
    await eventually(async () => expect((await totals()).sent).toBe(1))
  })
})

describe('shutdown with a request in flight', () => {
  it('cancels the hung request instead of waiting for it, and resends it after restart', async () => {
    const upstream = await startMockWhisperr({ apiKey: API_KEY })
    const outpost = await startTestCollector({
      destinations: [{ id: 'whisperr', vendor: 'whisperr', baseUrl: upstream.url, apiKey: API_KEY }],
      sync: { timeoutMs: 60_000 }
    })
    try {
      upstream.failNext(1, { type: 'timeout' })
      const event = whisperrEvent()
      await outpost.post('/whisperr/v1/events/track', event)
      await upstream.waitFor((requests) => requests.length === 1)
      const restarted = outpost.restart()
      const tooSlow = new Promise((_, reject) =>
        setTimeout(() => reject(new Error('shutdown waited for the upstream')), 5_000)
      )
      await Promise.race([restarted, tooSlow])
      await eventually(async () => expect((await outpost.api.getStats({})).counts.sent).toBe(1))
      const detail = await outpost.api.getEvent({ id: (await outpost.api.listEvents({})).events[0]!.id })
      expect(detail?.attemptsLog.map((attempt) => attempt.reason)).toEqual([
        expect.stringMatching(/^accepted/),
        expect.stringMatching(/cancelled by shutdown/)
      ])
      expect(upstream.deliveries.get(messageIdOf(event))).toBe(1)
    } finally {
      await outpost.close()
      await upstream.close()
    }
  })
})

describe('collector limits and guards', () => {
  let upstream: MockWhisperr
  let outpost: TestCollector
  afterEach(async () => {
    await outpost.close()
    await upstream.close()
  })

  it('refuses new events with 503 and Retry-After when the outbox is full, dropping nothing', async () => {
    upstream = await startMockWhisperr({ apiKey: API_KEY })
    outpost = await startTestCollector({
      destinations: [{ id: 'whisperr', vendor: 'whisperr', baseUrl: upstream.url }],
      storage: { maxEvents: 3 }
    })
    expect(
      (await outpost.post('/whisperr/v1/events/batch', { events: [whisperrEvent(), whisperrEvent()] })).status
    ).toBe(202)
    const full = await outpost.post('/whisperr/v1/events/batch', {
      events: [whisperrEvent(), whisperrEvent()]
    })
    expect(full).toMatchObject({ status: 503, body: { error: 'outbox_full' } })
    expect(full.headers.get('retry-after')).toBe('30')
    const stats = await outpost.api.getStats({})
    expect(stats.counts.queued).toBe(2)
    expect(stats.destinations[0]).toMatchObject({ configured: false, hold: 'not_configured' })
  })

  it("takes a destination's own ingest keys instead of the global ones", async () => {
    upstream = await startMockWhisperr({ apiKey: API_KEY })
    const destination = (id: string, ingestKeys?: string[]) => ({
      id,
      vendor: 'whisperr' as const,
      baseUrl: upstream.url,
      apiKey: API_KEY,
      ingestKeys
    })
    outpost = await startTestCollector({
      destinations: [destination('kiosk', ['kiosk-key']), destination('shared'), destination('open', [])],
      ingest: { keys: ['global-key'] }
    })
    const status = async (id: string, key?: string) =>
      (await outpost.post(`/${id}/v1/events/track`, whisperrEvent(), key ? { 'x-api-key': key } : {})).status
    expect([await status('kiosk', 'global-key'), await status('kiosk', 'kiosk-key')]).toEqual([401, 202])
    expect([await status('shared', 'kiosk-key'), await status('shared', 'global-key')]).toEqual([401, 202])
    expect(await status('open')).toBe(202)
  })

  it('requires an ingest key when keys are configured, and the admin token on /api', async () => {
    upstream = await startMockWhisperr({ apiKey: API_KEY })
    outpost = await startTestCollector({
      destinations: [{ id: 'whisperr', vendor: 'whisperr', baseUrl: upstream.url, apiKey: API_KEY }],
      ingest: { keys: ['ingest-secret'] }
    })
    expect((await outpost.post('/whisperr/v1/events/track', whisperrEvent())).status).toBe(401)
    expect(
      (await outpost.post('/whisperr/v1/events/track', whisperrEvent(), { 'x-api-key': 'ingest-secret' }))
        .status
    ).toBe(202)
    expect(
      (
        await outpost.post('/whisperr/v1/events/track', whisperrEvent(), {
          authorization: 'Bearer ingest-secret'
        })
      ).status
    ).toBe(202)
    const anonymous = await fetch(`${outpost.url}/api/stats`)
    expect(anonymous.status).toBe(401)
    const wrong = await fetch(`${outpost.url}/api/stats`, { headers: { authorization: 'Bearer nope' } })
    expect(wrong.status).toBe(401)
    const stats = await fetch(`${outpost.url}/api/stats`, { headers: { authorization: 'Bearer test-token' } })
    expect(await stats.json()).toMatchObject({
      counts: {
        queued: expect.any(Number),
        sending: expect.any(Number),
        retrying: 0,
        failed: 0,
        sent: expect.any(Number),
        discarded: 0
      }
    })
    const badInput = await fetch(`${outpost.url}/api/events?limit=abc`, {
      headers: { authorization: 'Bearer test-token' }
    })
    expect(badInput.status).toBe(400)
    const missing = await fetch(`${outpost.url}/api/events/999`, {
      headers: { authorization: 'Bearer test-token' }
    })
    expect(missing.status).toBe(200)
    expect(await missing.text()).toBe('null')
  })
})
