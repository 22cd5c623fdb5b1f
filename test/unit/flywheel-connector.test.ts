import { describe, expect, it } from 'vitest'
import { flywheel } from '../../src/main/connectors/flywheel'
import type { IngestOutcome, Problem } from '../../src/main/connectors/types'

const NOW = Date.parse('2026-06-14T12:00:00.000Z')
const [route] = flywheel.routes
const accept = (body: unknown, idempotencyKey?: string) =>
  route!.accept({ body, text: JSON.stringify(body), idempotencyKey, params: {}, query: {}, now: NOW })

const PROPERTY_REASON =
  'must be a string, a number or true/false (a date goes as an ISO 8601 date-time string)'
const WRAPPER_REASON =
  'must be the event object: the body is {"event": {"event": "<name>", "properties": {...}}} (the outer "event" wrapper is required)'
const UNKNOWN_FIELD = 'is not a field of this API (unknown fields are rejected)'

function validEvent(overrides: Record<string, unknown> = {}) {
  return {
    event: 'plan_upgraded',
    user_id: 'user_42',
    properties: { plan: 'pro', seats: 3, annual: true, renews_at: '2027-06-14T12:00:00Z' },
    ...overrides
  }
}

const body = (overrides: Record<string, unknown> = {}) => ({ event: validEvent(overrides) })

function accepted(outcome: IngestOutcome) {
  if (!outcome.ok) throw new Error(`expected acceptance, got ${JSON.stringify(outcome.problems)}`)
  return outcome
}

function problems(outcome: IngestOutcome): Problem[] {
  if (outcome.ok) throw new Error('expected a rejection')
  expect(outcome.status).toBe(400)
  return outcome.problems
}

describe('Flywheel ingest', () => {
  it('serves the vendor path and reads the raw key from Authorization', () => {
    expect(flywheel.routes.map((r) => r.path)).toEqual(['/v1/events'])
    expect(flywheel.clientKey({ authorization: 'fw_key', 'auth-type': 'api' })).toBe('fw_key')
    expect(flywheel.clientKey({ 'x-api-key': 'fw_key' })).toBeUndefined()
  })

  it('stores a valid event as sent and answers like Flywheel', () => {
    const outcome = accepted(accept(body()))
    expect(outcome.events).toEqual([
      {
        messageId: expect.stringMatching(/^flywheel_[0-9a-f]{32}$/),
        kind: 'track',
        name: 'plan_upgraded',
        userKey: 'user_42',
        occurredAt: null,
        payload: JSON.stringify(body()),
        upstreamParams: null
      }
    ])
    expect(outcome.reply({ inserted: 1, duplicates: 0 })).toEqual({
      status: 200,
      body: { success: true, message: 'Event tracked successfully' },
      headers: {}
    })
  })

  it('passes identify and identifiable properties through untouched, as a track in line with the others', () => {
    const identify = {
      event: {
        event: 'signed_up',
        anonymous_id: 'anon_1',
        identify: true,
        properties: {
          email: 'ada@example.com',
          full_name: 'Ada King Lovelace',
          phone: '+44 20 7946 0000',
          stripe_customer_id: 'cus_123'
        }
      }
    }
    const [event] = accepted(accept(identify)).events
    expect(event).toMatchObject({ kind: 'track', name: 'signed_up', payload: JSON.stringify(identify) })
  })

  it('stores the body as the client wrote it, trimmed', () => {
    const text =
      '{ "event": { "event": "paid", "user_id": 12345678901234567890, "properties": { "amount": 10.50 } } }'
    const outcome = accepted(
      route!.accept({ body: JSON.parse(text), text: `\n${text}\n`, params: {}, query: {}, now: NOW })
    )
    expect(outcome.events[0]?.payload).toBe(text)
  })

  it('gives two equal calls two message ids, and a keyed retry the same one', () => {
    const first = accepted(accept(body())).events[0]
    const second = accepted(accept(body())).events[0]
    expect(second?.messageId).toMatch(/^flywheel_[0-9a-f]{32}$/)
    expect(second?.messageId).not.toBe(first?.messageId)
    const keyed = accepted(accept(body(), 'req-1')).events[0]
    expect(keyed).toMatchObject({ messageId: 'flywheel_key_req-1#0', keyedByRequest: true })
    expect(accepted(accept(body(), 'req-1')).events[0]?.messageId).toBe(keyed?.messageId)
  })

  it.each([
    ['user_id', { user_id: 7, properties: { email: 'a@b.c' } }, '7'],
    ['org_assigned_user_id', { user_id: undefined, org_assigned_user_id: 'org_9' }, 'org_9'],
    [
      'stripe_customer_id before email',
      {
        user_id: undefined,
        anonymous_id: 'anon',
        properties: { email: 'a@b.c', stripe_customer_id: 'cus_1' }
      },
      'cus_1'
    ],
    [
      'email before anonymous_id',
      { user_id: undefined, anonymous_id: 'anon', properties: { email: 'a@b.c' } },
      'a@b.c'
    ],
    [
      'anonymous_id before primary_email',
      { user_id: undefined, anonymous_id: 'anon', properties: { primary_email: 'p@b.c' } },
      'anon'
    ],
    [
      'primary_phone before phone',
      { user_id: undefined, properties: { phone: '1', primary_phone: '2' } },
      '2'
    ],
    ['nothing', { user_id: undefined, properties: {} }, null]
  ])('takes the user key in Flywheel lookup order: %s', (_label, overrides, userKey) => {
    expect(accepted(accept(body(overrides))).events[0]?.userKey).toBe(userKey)
  })

  it('accepts a name that is not snake_case, and says so in x-outpost-warnings', () => {
    const outcome = accepted(accept(body({ event: 'Plan Upgraded' })))
    expect(outcome.events[0]?.name).toBe('Plan Upgraded')
    expect(outcome.reply({ inserted: 1, duplicates: 0 }).headers).toEqual({
      'x-outpost-warnings': 'event.event is not snake_case, which Flywheel advises; accepted and sent as is'
    })
  })

  it('requires the outer event wrapper', () => {
    expect(problems(accept(validEvent()))).toEqual([
      { field: 'user_id', reason: UNKNOWN_FIELD },
      { field: 'properties', reason: UNKNOWN_FIELD },
      { field: 'event', reason: `${WRAPPER_REASON}, got string` }
    ])
    expect(problems(accept({}))).toEqual([{ field: 'event', reason: 'is required' }])
    expect(problems(accept([body()]))).toEqual([
      { field: '', reason: 'must be an object ({...}), got an array' }
    ])
  })

  it('refuses fields outside the documented ones, in the wrapper and in the event', () => {
    expect(problems(accept({ ...body(), batch: [] }))).toEqual([{ field: 'batch', reason: UNKNOWN_FIELD }])
    expect(problems(accept(body({ timestamp: '2026-06-14T12:00:00Z' })))).toEqual([
      { field: 'event.timestamp', reason: UNKNOWN_FIELD }
    ])
  })

  it('requires a non-blank event name and the properties object', () => {
    expect(problems(accept(body({ event: undefined })))).toEqual([
      { field: 'event.event', reason: 'is required' }
    ])
    expect(problems(accept(body({ event: '  ' })))).toEqual([
      { field: 'event.event', reason: 'must name the event (not blank)' }
    ])
    expect(problems(accept(body({ event: 12 })))).toEqual([
      { field: 'event.event', reason: 'must name the event (not blank), got number' }
    ])
    expect(problems(accept(body({ properties: undefined })))).toEqual([
      { field: 'event.properties', reason: 'is required' }
    ])
    expect(problems(accept(body({ properties: [] })))).toEqual([
      { field: 'event.properties', reason: 'must be an object ({...}), got an array' }
    ])
    expect(accept(body({ properties: {} })).ok).toBe(true)
  })

  it.each([
    ['an object', { address: { city: 'Oslo' } }, 'address', 'object'],
    ['an array', { tags: ['a', 'b'] }, 'tags', 'an array'],
    ['null', { coupon: null }, 'coupon', 'null']
  ])(
    'refuses a property value that is %s, naming event.properties.<name>',
    (_label, properties, name, got) => {
      expect(problems(accept(body({ properties })))).toEqual([
        { field: `event.properties.${name}`, reason: `${PROPERTY_REASON}, got ${got}` }
      ])
    }
  )

  it('accepts string, number, boolean and ISO 8601 date-time property values', () => {
    const properties = { s: 'x', i: 3, d: 9.5, neg: -1, b: false, at: '2026-06-14T12:00:00.000Z' }
    expect(accept(body({ properties })).ok).toBe(true)
  })

  it('checks the types of the user fields and identify', () => {
    expect(problems(accept(body({ user_id: true })))).toEqual([
      { field: 'event.user_id', reason: 'must be a non-empty string or a number, got boolean' }
    ])
    expect(problems(accept(body({ org_assigned_user_id: '' })))).toEqual([
      { field: 'event.org_assigned_user_id', reason: 'must be at least 1 character long' }
    ])
    expect(problems(accept(body({ anonymous_id: 5 })))).toEqual([
      { field: 'event.anonymous_id', reason: 'must be a string, got number' }
    ])
    expect(problems(accept(body({ identify: 'yes' })))).toEqual([
      { field: 'event.identify', reason: 'must be true or false, got string' }
    ])
  })

  it('lists every problem of a request at once', () => {
    const outcome = accept(body({ event: '', identify: 1, properties: { a: null, b: [] } }))
    expect(problems(outcome).map((problem) => problem.field)).toEqual([
      'event.event',
      'event.identify',
      'event.properties.a',
      'event.properties.b'
    ])
  })
})

describe('Flywheel delivery', () => {
  const claimed = {
    id: 1,
    messageId: 'flywheel_1',
    kind: 'track' as const,
    payload: '{"event":{"event":"a","properties":{}}}',
    upstreamParams: null,
    name: 'fixture_event',
    attempts: 0
  }

  it('sends one event per request to /v1/events with both auth headers and the body as sent', () => {
    expect(flywheel.batchLimit('track')).toBe(1)
    expect(flywheel.batchLimit('identify')).toBe(1)
    expect(flywheel.buildRequest([claimed], { apiKey: 'fw_key' })).toEqual({
      path: '/v1/events',
      headers: { 'content-type': 'application/json', authorization: 'fw_key', 'auth-type': 'api' },
      body: claimed.payload
    })
  })

  const answer = (status: number, body = '', headers: Record<string, string> = {}) => ({
    status,
    body,
    headers
  })
  const classify = (status: number, body?: string, headers?: Record<string, string>) =>
    flywheel.classifyResponse(answer(status, body, headers), 1, NOW)

  it('classifies answers by the Flywheel rules', () => {
    expect(classify(200, '{"success":true,"message":"Event tracked successfully"}')).toEqual({
      outcome: 'ok',
      reason: 'accepted (200)'
    })
    expect(classify(200).outcome).toBe('ok')
    expect(classify(200, 'OK').outcome).toBe('ok')
    expect(classify(401)).toMatchObject({
      outcome: 'auth',
      reason: expect.stringMatching(/^Flywheel refused the API key/)
    })
    expect(classify(403).outcome).toBe('auth')
    expect(classify(500)).toEqual({
      outcome: 'retry',
      reason: 'Flywheel answered 500',
      retryAfterMs: undefined
    })
    expect(classify(429, '', { 'retry-after': '3' })).toMatchObject({ outcome: 'retry', retryAfterMs: 3000 })
    expect(classify(503, '', { 'retry-after': '120' })).toMatchObject({
      outcome: 'retry',
      retryAfterMs: 60_000
    })
    expect(classify(400, '{"success":false}')).toEqual({
      outcome: 'permanent',
      reason: 'Flywheel refused the request (400: {"success":false})'
    })
    expect(classify(404).outcome).toBe('permanent')
    expect(classify(301).outcome).toBe('permanent')
  })

  it('does not count a 2xx that reports "success": false as delivered', () => {
    expect(classify(200, '{"success":false,"message":"Invalid event"}')).toEqual({
      outcome: 'permanent',
      reason:
        'Flywheel answered 200 but reported a failure (200: {"success":false,"message":"Invalid event"})'
    })
  })
})
