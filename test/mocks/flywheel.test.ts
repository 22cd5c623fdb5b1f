/**
 * Proves the Flywheel mock enforces the contract (shared/vendors/README.md, "Flywheel"): the raw
 * key in Authorization plus `Auth-Type: api`, the one path, the `{"event": {...}}` wrapper, property
 * value types, identify pulling profile fields, no deduplication, and that the base mock's faults
 * still apply. If this file passes against a lenient mock, the integration tests prove nothing.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  FLYWHEEL_TRACKED,
  flywheelUserOf,
  startMockFlywheel,
  validateFlywheelBody,
  validateFlywheelProperties,
  type FlywheelEvent,
  type MockFlywheel
} from './flywheel'

const API_KEY = 'fw_key_test_123'

let mock: MockFlywheel

beforeEach(async () => {
  mock = await startMockFlywheel({ apiKey: API_KEY })
})

afterEach(async () => {
  await mock.close()
})

function event(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { event: 'plan_upgraded', user_id: 'user_1', properties: { plan: 'pro', seats: 3 }, ...overrides }
}

interface Sent {
  status: number
  headers: Headers
  json: unknown
}

const AUTH = { authorization: API_KEY, 'auth-type': 'api' }

async function send(
  body: unknown,
  headers: Record<string, string> = AUTH,
  path = '/v1/events',
  method = 'POST'
): Promise<Sent> {
  const response = await fetch(`${mock.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: method === 'GET' ? undefined : typeof body === 'string' ? body : JSON.stringify(body)
  })
  const raw = await response.text()
  return {
    status: response.status,
    headers: response.headers,
    json: raw ? (JSON.parse(raw) as unknown) : undefined
  }
}

const track = (inner: unknown) => send({ event: inner })

async function fetchFailure(promise: Promise<unknown>): Promise<{ name: string; code: string | undefined }> {
  try {
    await promise
  } catch (error) {
    return { name: (error as Error).name, code: (error as { cause?: { code?: string } }).cause?.code }
  }
  throw new Error('expected the request to fail, but it succeeded')
}

describe('auth', () => {
  it.each([
    ['no Authorization', { 'auth-type': 'api' }, 'authorization', /missing/],
    ['a wrong key', { authorization: 'fw_wrong', 'auth-type': 'api' }, 'authorization', /wrong API key/],
    [
      'a Bearer key',
      { authorization: `Bearer ${API_KEY}`, 'auth-type': 'api' },
      'authorization',
      /without the Bearer/
    ],
    ['no Auth-Type', { authorization: API_KEY }, 'auth-type', /must be "api", got none/],
    [
      'another Auth-Type',
      { authorization: API_KEY, 'auth-type': 'user' },
      'auth-type',
      /must be "api", got "user"/
    ]
  ])('answers 401 for %s and stores nothing', async (_label, headers, field, reason) => {
    const answer = await send({ event: event() }, headers)
    expect(answer.status).toBe(401)
    expect(answer.json).toMatchObject({
      success: false,
      problems: [{ field, reason: expect.stringMatching(reason) }]
    })
    expect(mock.events).toHaveLength(0)
  })
})

describe('request envelope', () => {
  it('answers 404 for other paths and 405 for other methods', async () => {
    for (const path of ['/v1/event', '/v1/events/', '/events', '/v1/events/batch', '/v2/events']) {
      expect((await send({ event: event() }, AUTH, path)).status, path).toBe(404)
    }
    const get = await send(undefined, AUTH, '/v1/events', 'GET')
    expect(get.status).toBe(405)
    expect(get.headers.get('allow')).toBe('POST')
  })

  it('refuses a non-JSON content type with 415 and a malformed body with 400', async () => {
    expect(
      (await send(JSON.stringify({ event: event() }), { ...AUTH, 'content-type': 'text/plain' })).status
    ).toBe(415)
    expect(await send('{"event": ')).toMatchObject({ status: 400, json: { problems: [{ field: 'body' }] } })
    expect(mock.events).toHaveLength(0)
  })
})

describe('events', () => {
  it('accepts a valid event with 200 {"success":true,"message":"Event tracked successfully"}', async () => {
    const answer = await track(event())
    expect(answer).toMatchObject({
      status: 200,
      json: { success: true, message: 'Event tracked successfully' }
    })
    expect(mock.events).toEqual([{ event: event(), user: 'user_1', receivedAt: expect.any(Number) }])
  })

  it('accepts names that are not snake_case (only advised) and date-time strings', async () => {
    expect((await track(event({ event: 'Plan Upgraded' }))).status).toBe(200)
    expect(
      (await track(event({ properties: { renews_at: '2027-01-01T00:00:00Z', ok: true, n: 1.5 } }))).status
    ).toBe(200)
    expect((await track(event({ properties: {} }))).status).toBe(200)
  })

  it.each([
    ['the body without the wrapper', event(), 'event', /outer wrapper/],
    ['a body with another top-level field', { event: event(), sent_at: 'now' }, 'sent_at', /unknown field/],
    [
      'an unknown event field',
      { event: event({ timestamp: '2026-06-14T12:00:00Z' }) },
      'event.timestamp',
      /unknown field/
    ],
    ['no event name', { event: event({ event: undefined }) }, 'event.event', /non-blank string/],
    ['a blank event name', { event: event({ event: ' ' }) }, 'event.event', /non-blank string/],
    [
      'no properties',
      { event: event({ properties: undefined }) },
      'event.properties',
      /required as an object/
    ],
    [
      'properties as an array',
      { event: event({ properties: [] }) },
      'event.properties',
      /required as an object/
    ],
    [
      'an object property',
      { event: event({ properties: { address: { city: 'Oslo' } } }) },
      'event.properties.address',
      /got an object/
    ],
    [
      'an array property',
      { event: event({ properties: { tags: ['a'] } }) },
      'event.properties.tags',
      /got an array/
    ],
    [
      'a null property',
      { event: event({ properties: { coupon: null } }) },
      'event.properties.coupon',
      /got null/
    ],
    [
      'a non-finite number property',
      '{"event":{"event":"a","properties":{"n":1e400}}}',
      'event.properties.n',
      /non-finite/
    ],
    [
      'a boolean user_id',
      { event: event({ user_id: true }) },
      'event.user_id',
      /non-empty string or a number/
    ],
    [
      'an empty org_assigned_user_id',
      { event: event({ org_assigned_user_id: '' }) },
      'event.org_assigned_user_id',
      /non-empty/
    ],
    [
      'a numeric anonymous_id',
      { event: event({ anonymous_id: 3 }) },
      'event.anonymous_id',
      /non-empty string/
    ],
    ['identify as a string', { event: event({ identify: 'true' }) }, 'event.identify', /true or false/]
  ])('refuses %s with 400 naming the field', async (_label, body, field, reason) => {
    const answer = await send(body)
    expect(answer.status).toBe(400)
    expect(answer.json).toMatchObject({
      success: false,
      problems: expect.arrayContaining([{ field, reason: expect.stringMatching(reason) }])
    })
    expect(mock.events).toHaveLength(0)
  })

  it('identify: true pulls identifiable properties into the profile found by lookup order', async () => {
    await track({
      event: 'signed_up',
      anonymous_id: 'anon_1',
      identify: true,
      properties: { email: 'ada@example.com', full_name: 'Ada King Lovelace', plan: 'pro' }
    })
    expect(mock.profiles.get('ada@example.com')).toEqual({
      email: 'ada@example.com',
      first_name: 'Ada',
      last_name: 'King Lovelace'
    })
    await track({ event: 'seen', anonymous_id: 'anon_2', properties: { email: 'x@example.com' } })
    expect(mock.profiles.has('x@example.com')).toBe(false)
  })

  it('deduplicates nothing: an equal body is stored again and counted', async () => {
    await track(event())
    await track(event())
    expect(mock.events).toHaveLength(2)
    expect([...mock.deliveries.values()]).toEqual([2])
  })
})

describe('pure helpers', () => {
  it('flywheelUserOf follows the lookup order', () => {
    const base: FlywheelEvent = { event: 'e', properties: {} }
    expect(flywheelUserOf({ ...base, org_assigned_user_id: 5, properties: { email: 'a' } })).toBe('5')
    expect(flywheelUserOf({ ...base, anonymous_id: 'anon', properties: { phone: '1', email: 'a' } })).toBe(
      'a'
    )
    expect(flywheelUserOf({ ...base, anonymous_id: 'anon', properties: { phone: '1' } })).toBe('anon')
    expect(flywheelUserOf(base)).toBeNull()
  })

  it('validation functions report each bad value', () => {
    expect(validateFlywheelProperties({ a: 1, b: {}, c: [] }).map((p) => p.field)).toEqual([
      'event.properties.b',
      'event.properties.c'
    ])
    expect(validateFlywheelBody('x')).toEqual([
      { field: 'body', reason: 'must be an object {"event": {...}}, got a string' }
    ])
  })
})

describe('faults (through the base mock)', () => {
  it('failNext 503 with Retry-After answers the fault and stores nothing, then the contract again', async () => {
    mock.failNext(1, { type: 'status', status: 503, headers: { 'retry-after': '1' } })
    const down = await track(event())
    expect(down.status).toBe(503)
    expect(down.headers.get('retry-after')).toBe('1')
    expect(mock.events).toHaveLength(0)
    expect(await track(event())).toMatchObject({ status: 200, json: FLYWHEEL_TRACKED })
  })

  it('reset after handling: stored without an answer, so a resend duplicates', async () => {
    mock.failNext(1, { type: 'reset', handled: true })
    expect((await fetchFailure(track(event()))).name).toBe('TypeError')
    await track(event())
    expect([...mock.deliveries.values()]).toEqual([2])
  })

  it('timeout: never answers and stores nothing', async () => {
    mock.failNext(1, { type: 'timeout' })
    const failure = await fetchFailure(
      fetch(`${mock.url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...AUTH },
        body: JSON.stringify({ event: event() }),
        signal: AbortSignal.timeout(100)
      })
    )
    expect(failure.name).toBe('TimeoutError')
    expect(mock.events).toHaveLength(0)
  })

  it('stop(): connection refused; restart(): the same port answers again', async () => {
    await mock.stop()
    expect((await fetchFailure(track(event()))).code).toBe('ECONNREFUSED')
    await mock.restart()
    expect((await track(event())).status).toBe(200)
  })

  it('reset() forgets events, deliveries, profiles, requests and faults; waitForEvents explains a timeout', async () => {
    await track({ event: 'e', user_id: 'u', identify: true, properties: { email: 'a@b.c' } })
    mock.setFault({ type: 'status', status: 500 })
    mock.reset()
    expect([mock.events.length, mock.deliveries.size, mock.profiles.size, mock.requests.length]).toEqual([
      0, 0, 0, 0
    ])
    expect((await track(event())).status).toBe(200)
    await expect(mock.waitForEvents(1, 200)).resolves.toBeUndefined()
    await expect(mock.waitForEvents(2, 60)).rejects.toThrow(/accept 2 events; it has 1/)
  })
})
