import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { FLYWHEEL_TRACKED, startMockFlywheel, type MockFlywheel } from '../mocks/flywheel'
import { startTestCollector, type TestCollector } from '../support/collector'
import { eventually } from '../support/temp'

const API_KEY = 'fw_test_key'

let sequence = 0

/** A valid request body with its own properties, so no two calls are equal unless a test wants them to be. */
function flywheelBody(overrides: Record<string, unknown> = {}) {
  sequence++
  return {
    event: {
      event: 'lesson_completed',
      user_id: `user_${sequence % 3}`,
      properties: { lesson: sequence, passed: true, finished_at: new Date().toISOString() },
      ...overrides
    }
  }
}

describe('Flywheel end to end: ingest, outbox, delivery', () => {
  let upstream: MockFlywheel
  let outpost: TestCollector

  beforeEach(async () => {
    upstream = await startMockFlywheel({ apiKey: API_KEY })
    outpost = await startTestCollector({
      destinations: [{ id: 'flywheel', vendor: 'flywheel', baseUrl: upstream.url, apiKey: API_KEY }]
    })
  })
  afterEach(async () => {
    await outpost.close()
    await upstream.close()
  })

  const counts = async () => (await outpost.api.getStats({})).counts
  const post = (body: unknown) => outpost.post('/flywheel/v1/events', body)

  it('answers like Flywheel, stores the event and delivers it once with both auth headers and the body as sent', async () => {
    const body = flywheelBody()
    const response = await post(body)
    expect(response).toMatchObject({ status: 200, body: FLYWHEEL_TRACKED })
    expect(response.headers.get('x-outpost-warnings')).toBeNull()
    await eventually(async () => expect((await counts()).sent).toBe(1))
    const [stored] = (await outpost.api.listEvents({})).events
    expect(stored).toMatchObject({ kind: 'track', name: 'lesson_completed', userKey: body.event.user_id })

    expect(upstream.requests).toHaveLength(1)
    const [request] = upstream.requests
    expect(request).toMatchObject({ method: 'POST', path: '/v1/events', status: 200 })
    expect(request!.headers.authorization).toBe(API_KEY)
    expect(request!.headers['auth-type']).toBe('api')
    expect(request!.headers['content-type']).toMatch(/^application\/json/)
    expect(request!.json).toEqual(body)
    expect([...upstream.deliveries.values()]).toEqual([1])
  })

  it('delivers an identify event in its place among the others, one event per request', async () => {
    const before = flywheelBody({ user_id: 'ada' })
    const identify = {
      event: {
        event: 'profile_updated',
        user_id: 'ada',
        identify: true,
        properties: { email: 'ada@example.com', full_name: 'Ada Lovelace', stripe_customer_id: 'cus_1' }
      }
    }
    const after = flywheelBody({ user_id: 'ada' })
    for (const body of [before, identify, after]) expect((await post(body)).status).toBe(200)

    await eventually(async () => expect((await counts()).sent).toBe(3))
    expect(upstream.requests).toHaveLength(3)
    expect(upstream.events.map((received) => received.event)).toEqual([
      before.event,
      identify.event,
      after.event
    ])
    expect(upstream.profiles.get('ada')).toEqual({
      email: 'ada@example.com',
      first_name: 'Ada',
      last_name: 'Lovelace',
      stripe_customer_id: 'cus_1'
    })
  })

  it('accepts a name that is not snake_case, warns in a header, and delivers it unchanged', async () => {
    const body = flywheelBody({ event: 'Lesson Completed' })
    const response = await post(body)
    expect(response.status).toBe(200)
    expect(response.headers.get('x-outpost-warnings')).toMatch(/not snake_case/)
    await eventually(() => expect(upstream.events).toHaveLength(1))
    expect(upstream.events[0]?.event.event).toBe('Lesson Completed')
  })

  it('stores a retry sent with the same Idempotency-Key once; without a key, equal calls are two events', async () => {
    await outpost.api.pauseDestination({ id: 'flywheel' })
    const body = flywheelBody()
    const key = { 'idempotency-key': 'lesson-1' }
    expect((await outpost.post('/flywheel/v1/events', body, key)).status).toBe(200)
    const again = await outpost.post('/flywheel/v1/events', body, key)
    expect(again).toMatchObject({ status: 200, body: FLYWHEEL_TRACKED })
    expect(again.headers.get('x-outpost-duplicates')).toBe('1')
    const twice = flywheelBody()
    for (const answer of [await post(twice), await post(twice)]) {
      expect(answer).toMatchObject({ status: 200, body: FLYWHEEL_TRACKED })
      expect(answer.headers.get('x-outpost-duplicates')).toBe('0')
    }
    expect((await outpost.api.listEvents({})).events).toHaveLength(3)
    await outpost.api.resumeDestination({ id: 'flywheel' })
    await eventually(async () => expect((await counts()).sent).toBe(3))
    expect(upstream.events.map((received) => received.event)).toEqual([body.event, twice.event, twice.event])
  })

  it.each([
    [
      'a property holding an object',
      flywheelBody({ properties: { address: { city: 'Oslo' } } }),
      'event.properties.address',
      /got object/
    ],
    [
      'a property holding an array',
      flywheelBody({ properties: { tags: ['a'] } }),
      'event.properties.tags',
      /got an array/
    ],
    [
      'a property holding null',
      flywheelBody({ properties: { coupon: null } }),
      'event.properties.coupon',
      /got null/
    ],
    ['the event without its wrapper', flywheelBody().event, 'event', /outer "event" wrapper is required/],
    ['no event name', flywheelBody({ event: undefined }), 'event.event', /is required/],
    [
      'a timestamp field Flywheel does not document',
      flywheelBody({ timestamp: '2026-06-14T12:00:00Z' }),
      'event.timestamp',
      /not a field/
    ]
  ])(
    'answers 400 naming the field and reason for %s, and stores nothing',
    async (_label, body, field, reason) => {
      const response = await post(body)
      expect(response.status).toBe(400)
      expect(response.body).toMatchObject({
        error: 'invalid_request',
        message: expect.stringContaining(field),
        errors: expect.arrayContaining([{ field, reason: expect.stringMatching(reason) }])
      })
      expect((await outpost.api.listEvents({})).events).toEqual([])
      expect(upstream.requests).toHaveLength(0)
    }
  )

  it('honours Retry-After on 429', async () => {
    upstream.failNext(1, { type: 'status', status: 429, headers: { 'retry-after': '1' } })
    await post(flywheelBody())
    await upstream.waitFor((requests) => requests.length >= 2, 5_000)
    const [first, second] = upstream.requests
    expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(950)
    await eventually(async () => expect((await counts()).sent).toBe(1))
    expect(upstream.events).toHaveLength(1)
  })

  it('keeps events while Flywheel is down and delivers each once, in order, when it is back', async () => {
    await upstream.stop()
    const bodies = Array.from({ length: 5 }, () => flywheelBody())
    for (const body of bodies) expect((await post(body)).status).toBe(200)
    // One event a request, oldest first: the head retries, the others wait behind it.
    await eventually(async () => expect(await counts()).toMatchObject({ retrying: 1, queued: 4 }))
    expect((await outpost.api.getStats({})).destinations[0]?.hold).toBe('offline')

    await upstream.restart()
    await eventually(async () => expect((await counts()).sent).toBe(5), 10_000, 'all sent after restart')
    // Several requests are in flight at once: each user's events arrive in accepted order.
    const byUser = (events: { user_id?: unknown }[]) =>
      [...new Set(events.map((event) => event.user_id))].map((user) =>
        events.filter((event) => event.user_id === user)
      )
    expect(byUser(upstream.events.map((received) => received.event))).toEqual(
      byUser(bodies.map((body) => body.event))
    )
    expect([...upstream.deliveries.values()]).toEqual([1, 1, 1, 1, 1])
  })

  it('resends after a timeout: nothing acknowledged is lost, at the documented risk of a duplicate', async () => {
    upstream.failNext(1, { type: 'timeout' })
    await post(flywheelBody())
    await eventually(async () => expect((await counts()).sent).toBe(1), 15_000)
    expect(upstream.requests).toHaveLength(2)
    expect(upstream.requests[0]!.body).toBe(upstream.requests[1]!.body)
    expect(upstream.events).toHaveLength(1)
  })

  it('holds delivery on 401 and keeps the event; fails it on another 4xx', async () => {
    upstream.failNext(1, { type: 'status', status: 401, body: { success: false, message: 'Unauthorized' } })
    await post(flywheelBody())
    const held = await eventually(async () => {
      const current = await outpost.api.getStats({})
      expect(current.destinations[0]?.hold).toBe('auth')
      return current
    })
    expect(held.counts.queued).toBe(1)
    expect(held.destinations[0]?.holdReason).toMatch(/Flywheel refused the API key \(401/)

    upstream.failNext(1, { type: 'status', status: 422, body: { success: false, message: 'Bad event' } })
    await outpost.api.resumeDestination({ id: 'flywheel' })
    const failed = await eventually(async () => {
      const page = await outpost.api.listEvents({ status: 'failed' })
      expect(page.events).toHaveLength(1)
      return page.events[0]!
    })
    expect(failed).toMatchObject({
      lastStatus: 422,
      lastError: expect.stringMatching(/Flywheel refused the request \(422/)
    })
  })
})

describe('Flywheel ingest keys', () => {
  it('takes the client key from Authorization, raw', async () => {
    const upstream = await startMockFlywheel({ apiKey: API_KEY })
    const outpost = await startTestCollector({
      destinations: [{ id: 'flywheel', vendor: 'flywheel', baseUrl: upstream.url, apiKey: API_KEY }],
      ingest: { keys: ['fw_ingest'] }
    })
    try {
      const path = '/flywheel/v1/events'
      expect((await outpost.post(path, flywheelBody())).status).toBe(401)
      expect((await outpost.post(path, flywheelBody(), { 'x-api-key': 'fw_ingest' })).status).toBe(401)
      const ok = await outpost.post(path, flywheelBody(), { authorization: 'fw_ingest', 'auth-type': 'api' })
      expect(ok.status).toBe(200)
    } finally {
      await outpost.close()
      await upstream.close()
    }
  })
})
