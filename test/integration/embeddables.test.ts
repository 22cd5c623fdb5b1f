import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startMockEmbeddables, type MockEmbeddables } from '../mocks/embeddables'
import { startTestCollector, type TestCollector } from '../support/collector'
import { eventually } from '../support/temp'

const API_KEY = 'rk_test_embeddables'

let sequence = 0

/** A valid event with its own identifier, so no two calls are equal unless a test wants them to be. */
function embeddablesEvent(overrides: Record<string, unknown> = {}) {
  sequence++
  return {
    embeddable_id: 'flow_onboarding',
    timestamp: new Date(Date.UTC(2026, 5, 14, 12, 0, sequence)).toISOString(),
    custom_event_name: 'quiz_completed',
    custom_event_props: JSON.stringify({ score: sequence }),
    identifiers: [{ key: 'email', value: JSON.stringify(`user${sequence}@test.com`) }],
    ...overrides
  }
}

describe('Embeddables end to end: ingest, outbox, delivery', () => {
  let upstream: MockEmbeddables
  let outpost: TestCollector

  beforeEach(async () => {
    upstream = await startMockEmbeddables({ apiKey: API_KEY })
    outpost = await startTestCollector({
      destinations: [{ id: 'embeddables', vendor: 'embeddables', baseUrl: upstream.url, apiKey: API_KEY }]
    })
  })
  afterEach(async () => {
    await outpost.close()
    await upstream.close()
  })

  const counts = async () => (await outpost.api.getStats({})).counts
  const post = (body: unknown, projectId = 'proj_1') =>
    outpost.post(`/embeddables/projects/${projectId}/events`, body)

  it('answers 200 like Embeddables, stores the event and delivers it once with the right path, key and body', async () => {
    const event = embeddablesEvent()
    const response = await post(event)
    expect(response).toMatchObject({
      status: 200,
      body: {
        id: expect.stringMatching(/^embeddables_/),
        event_type: 'custom_event:triggered',
        project_id: 'proj_1',
        embeddable_id: 'flow_onboarding',
        custom_event_name: 'quiz_completed',
        timestamp: event.timestamp
      }
    })
    await eventually(async () => expect((await counts()).sent).toBe(1))
    const [stored] = (await outpost.api.listEvents({})).events
    expect(stored).toMatchObject({
      kind: 'track',
      name: 'quiz_completed',
      userKey: `user${sequence}@test.com`
    })

    expect(upstream.requests).toHaveLength(1)
    const [request] = upstream.requests
    expect(request).toMatchObject({ method: 'POST', path: '/projects/proj_1/events', status: 200 })
    expect(request!.headers['x-api-key']).toBe(API_KEY)
    expect(request!.headers['content-type']).toMatch(/^application\/json/)
    expect(request!.json).toEqual(event)
    expect([...upstream.deliveries.values()]).toEqual([1])
  })

  it('sends one event per request, each to its own project', async () => {
    const events = Array.from({ length: 6 }, () => embeddablesEvent())
    for (const [index, event] of events.entries()) {
      expect((await post(event, index % 2 ? 'proj_b' : 'proj_a')).status).toBe(200)
    }
    await eventually(async () => expect((await counts()).sent).toBe(6))
    expect(upstream.requests).toHaveLength(6)
    expect(upstream.events.map((received) => received.body)).toEqual(events)
    expect(upstream.events.map((received) => received.projectId)).toEqual([
      'proj_a',
      'proj_b',
      'proj_a',
      'proj_b',
      'proj_a',
      'proj_b'
    ])
    expect([...upstream.deliveries.values()].every((count) => count === 1)).toBe(true)
  })

  it('stores a retry sent with the same Idempotency-Key once; without a key, equal calls are two events', async () => {
    await outpost.api.pauseDestination({ id: 'embeddables' })
    const event = embeddablesEvent()
    const key = { 'idempotency-key': 'quiz-1' }
    const first = await outpost.post('/embeddables/projects/proj_1/events', event, key)
    const again = await outpost.post('/embeddables/projects/proj_1/events', event, key)
    expect(again.status).toBe(200)
    expect(again.headers.get('x-outpost-duplicates')).toBe('1')
    expect((again.body as { id: string }).id).toBe((first.body as { id: string }).id)
    const unkeyed = [await post(event), await post(event), await post(event, 'proj_2')]
    for (const answer of unkeyed) {
      expect(answer.status).toBe(200)
      expect(answer.headers.get('x-outpost-duplicates')).toBe('0')
    }
    const ids = [first, ...unkeyed].map((answer) => (answer.body as { id: string }).id)
    expect(new Set(ids).size).toBe(4)
    expect((await outpost.api.listEvents({})).events).toHaveLength(4)

    await outpost.api.resumeDestination({ id: 'embeddables' })
    await eventually(async () => expect((await counts()).sent).toBe(4))
    expect(upstream.requests.map((request) => request.path).sort()).toEqual([
      '/projects/proj_1/events',
      '/projects/proj_1/events',
      '/projects/proj_1/events',
      '/projects/proj_2/events'
    ])
  })

  it.each([
    [
      'a name that is not snake_case',
      { custom_event_name: 'Quiz Completed' },
      'custom_event_name',
      /snake_case/
    ],
    [
      'props sent as an object',
      { custom_event_props: { score: 1 } },
      'custom_event_props',
      /string holding a JSON object/
    ],
    [
      'an identifier value that is not JSON-encoded',
      { identifiers: [{ key: 'email', value: 'test@test.com' }] },
      'identifiers.0.value',
      /JSON-encoded, quotes included/
    ],
    [
      'two identifiers',
      {
        identifiers: [
          { key: 'email', value: '"a@b.c"' },
          { key: 'id', value: '1' }
        ]
      },
      'identifiers',
      /exactly one/
    ],
    ['a timestamp without a time zone', { timestamp: '2026-06-14T12:00:00' }, 'timestamp', /ISO 8601/],
    ['a missing embeddable_id', { embeddable_id: undefined }, 'embeddable_id', /is required/]
  ])(
    'answers 400 naming the field and reason for %s, and stores nothing',
    async (_label, change, field, reason) => {
      const response = await post(embeddablesEvent(change))
      expect(response).toMatchObject({
        status: 400,
        body: {
          error: 'invalid_request',
          message: expect.stringContaining(field),
          errors: [{ field, reason: expect.stringMatching(reason) }]
        }
      })
      expect((await outpost.api.listEvents({})).events).toEqual([])
      expect(upstream.requests).toHaveLength(0)
    }
  )

  it('fails an event whose identifier matches no entry (404 ENTRY_NOT_FOUND), saying so in words', async () => {
    upstream.entries = [{ key: 'email', value: 'known@test.com' }]
    await post(embeddablesEvent())
    const failed = await eventually(async () => {
      const page = await outpost.api.listEvents({ status: 'failed' })
      expect(page.events).toHaveLength(1)
      return page.events[0]!
    })
    expect(failed).toMatchObject({
      lastStatus: 404,
      lastError: expect.stringMatching(/no entry matching the event's identifier \(404 ENTRY_NOT_FOUND\)/)
    })
    expect(upstream.requests).toHaveLength(1)
    expect(upstream.events).toHaveLength(0)
  })

  it('honours Retry-After on 429', async () => {
    upstream.failNext(1, { type: 'status', status: 429, headers: { 'retry-after': '1' } })
    await post(embeddablesEvent())
    await upstream.waitFor((requests) => requests.length >= 2, 5_000)
    const [first, second] = upstream.requests
    expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(950)
    await eventually(async () => expect((await counts()).sent).toBe(1))
    expect(upstream.events).toHaveLength(1)
  })

  it('keeps events while Embeddables is down and delivers each once when it is back', async () => {
    await upstream.stop()
    const events = Array.from({ length: 5 }, () => embeddablesEvent())
    for (const event of events) expect((await post(event)).status).toBe(200)
    // One event a request, oldest first: the head retries, the others wait behind it.
    await eventually(async () => expect(await counts()).toMatchObject({ retrying: 1, queued: 4 }))
    expect((await outpost.api.getStats({})).destinations[0]?.hold).toBe('offline')

    await upstream.restart()
    await eventually(async () => expect((await counts()).sent).toBe(5), 10_000, 'all sent after restart')
    expect(upstream.events.map((received) => received.body)).toEqual(events)
    expect([...upstream.deliveries.values()]).toEqual([1, 1, 1, 1, 1])
  })

  it('resends after a reset: nothing acknowledged is lost, at the documented risk of a duplicate', async () => {
    upstream.failNext(1, { type: 'reset', handled: true })
    await post(embeddablesEvent())
    await eventually(async () => expect((await counts()).sent).toBe(1))
    expect(upstream.requests).toHaveLength(2)
    expect(upstream.requests[0]!.body).toBe(upstream.requests[1]!.body)
    // Embeddables has no idempotency key: it stored the event twice.
    expect([...upstream.deliveries.values()]).toEqual([2])
  })

  it('holds delivery on 401 and keeps the event', async () => {
    upstream.failNext(1, { type: 'status', status: 401, body: { error: 'unauthorized' } })
    await post(embeddablesEvent())
    const stats = await eventually(async () => {
      const current = await outpost.api.getStats({})
      expect(current.destinations[0]?.hold).toBe('auth')
      return current
    })
    expect(stats.counts.queued).toBe(1)
    expect(stats.destinations[0]?.holdReason).toMatch(/Embeddables refused the API key \(401/)
  })
})

describe('Embeddables ingest keys', () => {
  it('takes the client key from X-Api-Key', async () => {
    const upstream = await startMockEmbeddables({ apiKey: API_KEY })
    const outpost = await startTestCollector({
      destinations: [{ id: 'embeddables', vendor: 'embeddables', baseUrl: upstream.url, apiKey: API_KEY }],
      ingest: { keys: ['rk_ingest'] }
    })
    try {
      const path = '/embeddables/projects/proj_1/events'
      expect((await outpost.post(path, embeddablesEvent())).status).toBe(401)
      expect((await outpost.post(path, embeddablesEvent(), { authorization: 'rk_ingest' })).status).toBe(401)
      expect((await outpost.post(path, embeddablesEvent(), { 'x-api-key': 'rk_ingest' })).status).toBe(200)
    } finally {
      await outpost.close()
      await upstream.close()
    }
  })
})
