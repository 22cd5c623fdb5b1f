import { afterEach, describe, expect, it } from 'vitest'
import type { DestinationConfig } from '../../src/main/config'
import { startMockUserFlux, type MockUserFlux, type MockUserFluxOptions } from '../mocks/userflux'
import type { RecordedRequest } from '../mocks/mock-upstream'
import { startTestCollector, type TestCollector, type TestCollectorOptions } from '../support/collector'
import { eventually } from '../support/temp'

const API_KEY = 'uf_write_123'

let sequence = 0

/** A valid UserFlux event, unique by its properties.n, happening now. */
function userFluxEvent(overrides: Record<string, unknown> = {}) {
  sequence++
  return {
    userId: `user_${sequence % 5}`,
    anonymousId: `anon_${sequence % 5}`,
    name: 'feature_used',
    timestamp: Date.now(),
    properties: { n: sequence, nested: { list: [1, null] } },
    deviceData: null,
    ...overrides
  }
}

const events = (count: number) => Array.from({ length: count }, () => userFluxEvent())
const batchSizes = (requests: readonly RecordedRequest[]) =>
  requests.map((request) => (request.json as { events: unknown[] }).events.length)
/** Each user's events in the order given: what Outpost keeps with several requests in flight. */
const perUser = (list: readonly unknown[]) => {
  const byUser: Record<string, unknown[]> = {}
  for (const event of list) (byUser[(event as { userId: string }).userId] ??= []).push(event)
  return byUser
}

let upstream: MockUserFlux
let outpost: TestCollector

async function start(
  destination: Partial<DestinationConfig> = {},
  mockOptions: Partial<MockUserFluxOptions> = {},
  sync: TestCollectorOptions['sync'] = {}
): Promise<void> {
  upstream = await startMockUserFlux({ apiKey: API_KEY, ...mockOptions })
  outpost = await startTestCollector({
    destinations: [
      { id: 'userflux', vendor: 'userflux', baseUrl: upstream.url, apiKey: API_KEY, ...destination }
    ],
    sync
  })
}

afterEach(async () => {
  await outpost.close()
  await upstream.close()
})

const totals = async () => (await outpost.api.getStats({})).counts
const pause = () => outpost.api.pauseDestination({ id: 'userflux' })
const resume = () => outpost.api.resumeDestination({ id: 'userflux' })

describe('UserFlux end to end: ingest, outbox, delivery', () => {
  it('answers 204 without a body and delivers events and profiles exactly once, in order', async () => {
    await start()
    const single = userFluxEvent({ userId: 'alice' })
    const profile = { userId: 'alice', anonymousId: 'anon-a', properties: { plan: 'pro' }, deviceData: null }
    const batch = events(3)

    for (const [path, body] of [
      ['/userflux/event/ingest', single],
      ['/userflux/profile', profile],
      ['/userflux/event/ingest/batch?locationEnrichment=true', { events: batch }]
    ] as const) {
      const answer = await outpost.post(path, body)
      expect(answer).toMatchObject({ status: 204, body: undefined })
      expect(answer.headers.get('content-type')).toBeNull()
    }

    await eventually(async () => expect((await totals()).sent).toBe(5), 10_000, 'all sent')
    expect(upstream.requests.map((request) => request.path)).toEqual([
      '/event/ingest/batch',
      '/profile',
      '/event/ingest/batch?locationEnrichment=true'
    ])
    expect(upstream.requests.map((request) => request.json)).toEqual([
      { events: [single] },
      profile,
      { events: batch }
    ])
    for (const request of upstream.requests) {
      expect(request.headers['authorization']).toBe(`Bearer ${API_KEY}`)
      expect(request.headers['content-type']).toBe('application/json')
    }
    expect(upstream.log.map((entry) => entry.kind)).toEqual(['event', 'profile', 'event', 'event', 'event'])
    expect(upstream.events.map((received) => received.locationEnrichment)).toEqual([
      null,
      'true',
      'true',
      'true'
    ])
    expect(upstream.duplicates()).toEqual([])
  })

  it('stores a retry sent with the same Idempotency-Key once; without a key, equal calls are two calls', async () => {
    await start()
    await pause()
    const batch = events(5)
    const profile = { userId: 'bob', properties: { city: 'Perth' } }
    const key = { 'idempotency-key': 'batch-1' }
    expect((await outpost.post('/userflux/event/ingest/batch', { events: batch }, key)).status).toBe(204)
    const again = await outpost.post('/userflux/event/ingest/batch', { events: batch }, key)
    expect(again.status).toBe(204)
    expect(again.headers.get('x-outpost-duplicates')).toBe('5')
    const reused = await outpost.post('/userflux/event/ingest/batch', { events: batch.slice(1) }, key)
    expect(reused).toMatchObject({ status: 422, body: { error: 'idempotency_key_reused' } })
    // Nothing tells a retry from a second call without a key: a profile set twice is set twice.
    for (const _call of [1, 2]) {
      const answer = await outpost.post('/userflux/profile', profile)
      expect(answer.status).toBe(204)
      expect(answer.headers.get('x-outpost-duplicates')).toBe('0')
    }
    expect((await outpost.api.listEvents({})).events).toHaveLength(7)

    await resume()
    await eventually(async () => expect((await totals()).sent).toBe(7))
    expect(upstream.events.map((received) => received.event)).toEqual(batch)
    expect(upstream.profiles.map((received) => received.profile)).toEqual([profile, profile])
    expect(upstream.duplicates()).toEqual([])
  })

  it('sends each event as the client wrote it, numbers digit for digit', async () => {
    await start()
    const first = `{"userId":"u1","name":"paid","timestamp":${Date.now()},"properties":{"order":12345678901234567890}}`
    const second = `{ "userId": "u2", "name": "paid", "timestamp": ${Date.now()}, "properties": { "price": 10.50, "big": 1e3 } }`
    expect(
      (await outpost.post('/userflux/event/ingest/batch', `{"events": [${first},\n ${second}]}`)).status
    ).toBe(204)
    await eventually(async () => expect((await totals()).sent).toBe(2))
    expect(upstream.requests.map((request) => request.body)).toEqual([`{"events":[${first},${second}]}`])
    const stored = (await outpost.api.listEvents({})).events.map((event) => event.id)
    const details = await Promise.all(stored.map((id) => outpost.api.getEvent({ id })))
    expect(details.map((detail) => [detail?.payload, detail?.receivedPayload])).toEqual([
      [second, second],
      [first, first]
    ])
  })

  it.each([
    [
      'a name with a space',
      '/userflux/event/ingest/batch',
      { events: [userFluxEvent(), userFluxEvent({ name: 'signed up' })] },
      { index: 1, field: 'name', reason: expect.stringMatching(/without spaces/) }
    ],
    [
      'a timestamp in seconds',
      '/userflux/event/ingest',
      userFluxEvent({ timestamp: 1_781_438_400 }),
      {
        field: 'timestamp',
        reason: 'must be epoch milliseconds; 1781438400 looks like seconds (send 1781438400000)'
      }
    ],
    [
      'no user',
      '/userflux/event/ingest',
      userFluxEvent({ userId: null, anonymousId: null }),
      { field: 'userId', reason: 'or anonymousId is required (null counts as absent)' }
    ],
    [
      'properties that are not an object',
      '/userflux/profile',
      { userId: 'u', properties: [] },
      { field: 'properties', reason: 'must be an object ({} when empty), got an array' }
    ],
    [
      'an empty batch',
      '/userflux/event/ingest/batch',
      { events: [] },
      { field: 'events', reason: 'must be an array of 1 or more events' }
    ],
    [
      'locationEnrichment=yes',
      '/userflux/event/ingest?locationEnrichment=yes',
      userFluxEvent(),
      { field: 'query.locationEnrichment', reason: 'must be true or false, got "yes"' }
    ]
  ])('answers 400 naming the problem for %s, and stores nothing', async (_label, path, body, problem) => {
    await start()
    const answer = await outpost.post(path, body)
    expect(answer.status).toBe(400)
    expect(answer.body).toMatchObject({
      error: 'invalid_request',
      message: expect.stringContaining(problem.field),
      errors: [problem]
    })
    expect((await outpost.api.listEvents({})).events).toEqual([])
    expect(upstream.requests).toHaveLength(0)
  })

  it('needs the ingest key as Authorization: Bearer when keys are configured', async () => {
    upstream = await startMockUserFlux({ apiKey: API_KEY })
    outpost = await startTestCollector({
      destinations: [{ id: 'userflux', vendor: 'userflux', baseUrl: upstream.url, apiKey: API_KEY }],
      ingest: { keys: ['ingest-secret'] }
    })
    expect((await outpost.post('/userflux/event/ingest', userFluxEvent())).status).toBe(401)
    const rawKey = await outpost.post('/userflux/event/ingest', userFluxEvent(), {
      authorization: 'ingest-secret'
    })
    expect(rawKey.status).toBe(401)
    const bearer = await outpost.post('/userflux/event/ingest', userFluxEvent(), {
      authorization: 'Bearer ingest-secret'
    })
    expect(bearer.status).toBe(204)
  })
})

describe('UserFlux batch sizes', () => {
  // Batches are cut in accepted order with one request in flight. With more, a batch also skips
  // users that have a request out (test/integration/concurrent-delivery.test.ts).
  const oneInFlight = { concurrency: 1 }
  it('never exceeds the configured batchSize: 10 queued events go as 3, 3, 3, 1', async () => {
    await start({ batchSize: 3 }, {}, oneInFlight)
    await pause()
    const queued = events(10)
    await outpost.post('/userflux/event/ingest/batch', { events: queued })
    await resume()
    await eventually(async () => expect((await totals()).sent).toBe(10))
    expect(batchSizes(upstream.requests)).toEqual([3, 3, 3, 1])
    expect(upstream.events.map((received) => received.event)).toEqual(queued)
  })

  it('sends at most 10 events a request by default', async () => {
    await start()
    await pause()
    const queued = events(25)
    for (const event of queued) await outpost.post('/userflux/event/ingest', event)
    await resume()
    await eventually(async () => expect((await totals()).sent).toBe(25))
    expect(batchSizes(upstream.requests)).toEqual([10, 10, 5])
    expect(perUser(upstream.events.map((received) => received.event))).toEqual(perUser(queued))
  })

  it('never mixes locationEnrichment values in one request, and keeps the accepted order', async () => {
    await start({}, {}, oneInFlight)
    await pause()
    for (const query of [
      '?locationEnrichment=true',
      '?locationEnrichment=false',
      '',
      '?locationEnrichment=true'
    ]) {
      await outpost.post(`/userflux/event/ingest/batch${query}`, { events: events(2) })
    }
    await resume()
    await eventually(async () => expect((await totals()).sent).toBe(8))
    expect(upstream.requests.map((request) => [request.path, batchSizes([request])[0]])).toEqual([
      ['/event/ingest/batch?locationEnrichment=true', 2],
      ['/event/ingest/batch?locationEnrichment=false', 2],
      ['/event/ingest/batch', 2],
      ['/event/ingest/batch?locationEnrichment=true', 2]
    ])
  })

  it('splits a batch UserFlux finds too large (413) until it fits, each event delivered once', async () => {
    await start({}, { maxBatchSize: 4 }, oneInFlight)
    await pause()
    const queued = events(10)
    await outpost.post('/userflux/event/ingest/batch', { events: queued })
    await resume()
    await eventually(async () => expect((await totals()).sent).toBe(10))
    const sizes = batchSizes(upstream.requests)
    expect(sizes.slice(0, 2)).toEqual([10, 5])
    expect(upstream.requests.slice(0, 2).map((request) => request.status)).toEqual([413, 413])
    const deliveredSizes = upstream.requests
      .filter((request) => request.status === 204)
      .map((r) => batchSizes([r])[0])
    expect(deliveredSizes.every((size) => size! <= 4)).toBe(true)
    expect(upstream.events.map((received) => received.event)).toEqual(queued)
  })

  it('isolates the one event UserFlux refuses (400) and delivers the others', async () => {
    await start()
    await pause()
    const queued = events(4)
    queued[2] = userFluxEvent({ colour: 'red' })
    const accepted = await outpost.post('/userflux/event/ingest/batch', { events: queued })
    // Outpost forwards fields it does not know; this mock plays a server that refuses them.
    expect(accepted.status).toBe(204)
    expect(accepted.headers.get('x-outpost-unknown-fields')).toBe('colour')
    await resume()
    const failed = await eventually(async () => {
      const page = await outpost.api.listEvents({ status: 'failed' })
      expect(page.events).toHaveLength(1)
      expect((await totals()).sent).toBe(3)
      return page.events[0]!
    })
    expect(failed).toMatchObject({
      lastStatus: 400,
      lastError: expect.stringMatching(/UserFlux refused the request \(400/)
    })
    expect(batchSizes(upstream.requests)).toEqual([4, 2, 2, 1, 1])
    expect(upstream.events.map((received) => received.event)).toEqual([queued[0], queued[1], queued[3]])
  })
})

describe('UserFlux delivery rules', () => {
  it('honours Retry-After on 429', async () => {
    await start()
    upstream.failNext(1, { type: 'status', status: 429, headers: { 'retry-after': '1' } })
    await outpost.post('/userflux/event/ingest', userFluxEvent())
    await upstream.waitFor((requests) => requests.length >= 2, 5_000)
    const [first, second] = upstream.requests
    expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(950)
    await eventually(async () => expect((await totals()).sent).toBe(1))
  })

  it('never takes a 5xx as delivered: retries, then delivers once', async () => {
    await start()
    upstream.failNext(2, { type: 'status', status: 500, body: { error: 'boom' } })
    const event = userFluxEvent()
    await outpost.post('/userflux/event/ingest', event)
    await eventually(async () => expect((await totals()).sent).toBe(1))
    expect(upstream.requests.map((request) => request.status)).toEqual([500, 500, 204])
    expect(upstream.events.map((received) => received.event)).toEqual([event])
  })

  it('never takes a 4xx or a 2xx other than 204 as delivered: the event fails for a person to see', async () => {
    await start()
    upstream.failNext(1, { type: 'status', status: 404, body: { error: 'nope' } })
    upstream.failNext(1, { type: 'status', status: 200, body: '<html>portal</html>' })
    await outpost.post('/userflux/event/ingest', userFluxEvent())
    await outpost.post('/userflux/profile', { userId: 'u', properties: {} })
    const failed = await eventually(async () => {
      const page = await outpost.api.listEvents({ status: 'failed' })
      expect(page.events).toHaveLength(2)
      return page.events
    })
    expect(failed.map((event) => [event.kind, event.lastStatus])).toEqual(
      expect.arrayContaining([
        ['track', 404],
        ['identify', 200]
      ])
    )
    expect((await totals()).sent).toBe(0)
  })

  it('keeps events while UserFlux is down and delivers each once when it is back', async () => {
    await start()
    await upstream.stop()
    const queued = events(15)
    await outpost.post('/userflux/event/ingest/batch', { events: queued.slice(0, 10) })
    for (const event of queued.slice(10)) await outpost.post('/userflux/event/ingest', event)
    // Every request fails: the events it carried are retrying, the others wait with them, none is lost.
    await eventually(async () => {
      const { retrying, queued: waiting } = await totals()
      expect(retrying).toBeGreaterThanOrEqual(10)
      expect(retrying + waiting).toBe(15)
    })
    expect((await outpost.api.getStats({})).destinations[0]).toMatchObject({ hold: 'offline' })

    await upstream.restart()
    await eventually(
      async () => expect((await totals()).sent).toBe(15),
      10_000,
      'all sent after the upstream returned'
    )
    expect(perUser(upstream.events.map((received) => received.event))).toEqual(perUser(queued))
    expect(upstream.duplicates()).toEqual([])
  })

  it('holds delivery on 401 and keeps the events until a person resumes', async () => {
    await start()
    upstream.failNext(1, { type: 'status', status: 401 })
    await outpost.post('/userflux/event/ingest', userFluxEvent())
    const held = await eventually(async () => {
      const stats = await outpost.api.getStats({})
      expect(stats.destinations[0]?.hold).toBe('auth')
      return stats
    })
    expect(held.counts.queued).toBe(1)
    await resume()
    await eventually(async () => expect((await totals()).sent).toBe(1))
  })
})
