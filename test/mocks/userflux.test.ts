/**
 * Proves the UserFlux mock enforces the contract (shared/vendors/README.md, "UserFlux") and that
 * the faults of the base mock work through it. If this file passes against a lenient mock, the
 * integration tests built on it prove nothing, so each rule is checked with real values.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startMockUserFlux, type MockUserFlux, type UserFluxEvent } from './userflux'

const API_KEY = 'uf_write_123'
const NOW = Date.parse('2026-06-14T12:00:00.000Z')

let mock: MockUserFlux

beforeEach(async () => {
  mock = await startMockUserFlux({ apiKey: API_KEY })
})

afterEach(async () => {
  await mock.close()
})

function event(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { userId: 'user-1', name: 'signup', timestamp: NOW, properties: { plan: 'pro' }, ...overrides }
}

function withoutField(field: string, from = event()): Record<string, unknown> {
  const copy = { ...from }
  delete copy[field]
  return copy
}

interface Sent {
  status: number
  headers: Headers
  text: string
  json: unknown
}

async function send(
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
  method = 'POST'
): Promise<Sent> {
  const response = await fetch(`${mock.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}`, ...headers },
    body: method === 'GET' ? undefined : typeof body === 'string' ? body : JSON.stringify(body)
  })
  const text = await response.text()
  return {
    status: response.status,
    headers: response.headers,
    text,
    json: text ? JSON.parse(text) : undefined
  }
}

const single = (body: unknown, headers?: Record<string, string>) => send('/event/ingest', body, headers)
const batch = (events: unknown[], query = '') => send(`/event/ingest/batch${query}`, { events })
const profile = (body: unknown) => send('/profile', body)

async function fetchFailure(promise: Promise<unknown>): Promise<{ name: string; code: string | undefined }> {
  try {
    await promise
  } catch (error) {
    return { name: (error as Error).name, code: (error as { cause?: { code?: string } }).cause?.code }
  }
  throw new Error('expected the request to fail, but it succeeded')
}

describe('auth', () => {
  it('accepts Authorization: Bearer <key>, the scheme in any case', async () => {
    expect((await single(event())).status).toBe(204)
    expect((await single(event(), { authorization: `bearer ${API_KEY}` })).status).toBe(204)
    expect(mock.events).toHaveLength(2)
  })

  it.each([
    ['no header', { authorization: '' }, /got none|got a wrong key/],
    ['a wrong key', { authorization: 'Bearer uf_wrong' }, /got a wrong key/],
    ['the raw key without Bearer', { authorization: API_KEY }, /must use the Bearer scheme/]
  ])('answers 401 for %s and stores nothing', async (_label, headers, reason) => {
    const answer = await single(event(), headers)
    expect(answer.status).toBe(401)
    expect(answer.json).toMatchObject({
      error: 'unauthorized',
      problems: [{ field: 'authorization', reason }]
    })
    expect(mock.events).toHaveLength(0)
  })
})

describe('request envelope', () => {
  it('answers 404 for an unknown path and 405 (Allow: POST) for another method', async () => {
    expect((await send('/event/ingest/', event())).status).toBe(404)
    expect((await send('/v1/track', event())).status).toBe(404)
    const wrongMethod = await send('/profile', undefined, {}, 'GET')
    expect(wrongMethod.status).toBe(405)
    expect(wrongMethod.headers.get('allow')).toBe('POST')
  })

  it('refuses a non-JSON content type with 415 and invalid JSON with 400', async () => {
    expect((await single(JSON.stringify(event()), { 'content-type': 'text/plain' })).status).toBe(415)
    expect(await single('{"name": ')).toMatchObject({ status: 400, json: { error: 'invalid_json' } })
  })

  it('answers 204 with an empty body on success', async () => {
    const answer = await single(event())
    expect(answer.status).toBe(204)
    expect(answer.text).toBe('')
    expect(answer.headers.get('content-type')).toBeNull()
  })
})

describe('query', () => {
  it('accepts no query and locationEnrichment=true|false, and records the value', async () => {
    expect((await batch([event()])).status).toBe(204)
    expect((await batch([event()], '?locationEnrichment=true')).status).toBe(204)
    expect((await batch([event()], '?locationEnrichment=false')).status).toBe(204)
    expect(mock.events.map((e) => e.locationEnrichment)).toEqual([null, 'true', 'false'])
  })

  it.each([
    ['a value other than true|false', '?locationEnrichment=yes', 'query.locationEnrichment'],
    ['a capitalised value', '?locationEnrichment=True', 'query.locationEnrichment'],
    ['the parameter twice', '?locationEnrichment=true&locationEnrichment=false', 'query.locationEnrichment'],
    ['an unknown parameter', '?locationEnrichment=true&debug=1', 'query.debug']
  ])('refuses %s with 400', async (_label, query, field) => {
    const answer = await batch([event()], query)
    expect(answer).toMatchObject({ status: 400, json: { error: 'invalid_query', problems: [{ field }] } })
    expect(mock.events).toHaveLength(0)
  })
})

describe('event validation', () => {
  it('accepts a full event and records it as sent', async () => {
    const full = event({
      anonymousId: 'anon-1',
      externalId: 'ext-1',
      sessionId: 'sess-1',
      deviceData: { os: 'Android' },
      properties: { nested: { deep: [1, null, { a: true }] }, none: null, list: [] }
    })
    expect((await single(full)).status).toBe(204)
    expect(mock.events).toEqual([
      { event: full, endpoint: '/event/ingest', locationEnrichment: null, receivedAt: expect.any(Number) }
    ])
    expect(mock.log).toEqual([{ kind: 'event', name: 'signup', userKey: 'user-1' }])
  })

  it.each([
    ['anonymousId only', { ...withoutField('userId'), anonymousId: 'anon-1' }, 'anon-1'],
    [
      'userId null with an anonymousId (what the SDK sends before login)',
      event({ userId: null, anonymousId: 'a' }),
      'a'
    ],
    ['anonymousId null (what the backend SDK sends)', event({ anonymousId: null }), 'user-1'],
    ['empty properties', event({ properties: {} }), 'user-1'],
    [
      'deviceData, externalId and sessionId null',
      event({ deviceData: null, externalId: null, sessionId: null }),
      'user-1'
    ],
    ['a timestamp of 0', event({ timestamp: 0 }), 'user-1']
  ])('accepts %s', async (_label, body, userKey) => {
    expect((await single(body)).status).toBe(204)
    expect(mock.log).toEqual([expect.objectContaining({ userKey })])
  })

  it.each([
    ['an unknown field', event({ colour: 'red' }), 'colour'],
    ['no user at all', withoutField('userId'), 'userId'],
    ['both ids null', event({ userId: null, anonymousId: null }), 'userId'],
    ['an empty userId', event({ userId: '' }), 'userId'],
    ['a numeric anonymousId', event({ anonymousId: 7 }), 'anonymousId'],
    ['no name', withoutField('name'), 'name'],
    ['an empty name', event({ name: '' }), 'name'],
    ['a name with a space', event({ name: 'sign up' }), 'name'],
    ['a name with a tab', event({ name: 'sign\tup' }), 'name'],
    ['no timestamp', withoutField('timestamp'), 'timestamp'],
    ['an ISO timestamp', event({ timestamp: '2026-06-14T12:00:00.000Z' }), 'timestamp'],
    ['a numeric-string timestamp', event({ timestamp: String(NOW) }), 'timestamp'],
    ['a fractional timestamp', event({ timestamp: NOW + 0.5 }), 'timestamp'],
    ['a negative timestamp', event({ timestamp: -1 }), 'timestamp'],
    ['no properties', withoutField('properties'), 'properties'],
    ['properties as an array', event({ properties: [] }), 'properties'],
    ['properties as null', event({ properties: null }), 'properties'],
    ['externalId as a number', event({ externalId: 5 }), 'externalId'],
    ['sessionId as an object', event({ sessionId: {} }), 'sessionId'],
    ['deviceData as a string', event({ deviceData: 'Android' }), 'deviceData']
  ])('refuses %s with 400 naming the field', async (_label, body, field) => {
    const answer = await single(body)
    expect(answer).toMatchObject({ status: 400, json: { problems: [expect.objectContaining({ field })] } })
    expect(mock.events).toHaveLength(0)
  })

  it('refuses an event that is not an object', async () => {
    expect((await single([event()])).status).toBe(400)
    expect((await single('"signup"')).status).toBe(400)
  })

  it('accepts unknown fields when told to play a lenient server', async () => {
    await mock.close()
    mock = await startMockUserFlux({ apiKey: API_KEY, unknownFields: 'accept' })
    expect((await single(event({ colour: 'red' }))).status).toBe(204)
    expect((await profile({ userId: 'u', properties: {}, colour: 'red' })).status).toBe(204)
  })
})

describe('batch', () => {
  it('accepts a batch and records each event under the batch endpoint', async () => {
    const events = [event({ name: 'a' }), event({ name: 'b' })]
    expect((await batch(events)).status).toBe(204)
    expect(mock.events.map((e) => [e.event.name, e.endpoint])).toEqual([
      ['a', '/event/ingest/batch'],
      ['b', '/event/ingest/batch']
    ])
  })

  it.each([
    ['an empty batch', { events: [] }, 'events'],
    ['events that is not an array', { events: event() }, 'events'],
    ['no events field', {}, 'events'],
    ['an unknown envelope field', { events: [event()], sentAt: NOW }, 'sentAt'],
    ['a bare array', [event()], 'body']
  ])('refuses %s with 400', async (_label, body, field) => {
    const answer = await send('/event/ingest/batch', body)
    expect(answer).toMatchObject({ status: 400, json: { problems: [expect.objectContaining({ field })] } })
    expect(mock.events).toHaveLength(0)
  })

  it('refuses the whole batch when one event is bad, naming its index', async () => {
    const answer = await batch([event(), event({ name: 'bad name' }), event()])
    expect(answer).toMatchObject({ status: 400, json: { problems: [{ index: 1, field: 'name' }] } })
    expect(mock.events).toHaveLength(0)
  })

  it('answers 413 above maxBatchSize and accepts exactly maxBatchSize', async () => {
    await mock.close()
    mock = await startMockUserFlux({ apiKey: API_KEY, maxBatchSize: 3 })
    const four = Array.from({ length: 4 }, (_, n) => event({ properties: { n } }))
    expect(await batch(four)).toMatchObject({ status: 413, json: { error: 'payload_too_large' } })
    expect(mock.events).toHaveLength(0)
    expect((await batch(four.slice(0, 3))).status).toBe(204)
    expect(mock.events).toHaveLength(3)
  })

  it('lists events received more than once (no dedupe upstream)', async () => {
    await batch([event({ name: 'x' }), event({ name: 'y' })])
    await single(event({ name: 'x' }))
    expect(mock.duplicates()).toEqual([JSON.stringify(event({ name: 'x' }))])
  })
})

describe('profile', () => {
  const valid = { userId: 'user-1', anonymousId: 'anon-1', properties: { city: 'Sydney' }, deviceData: null }

  it('accepts a profile with 204 and records it', async () => {
    const answer = await profile(valid)
    expect(answer.status).toBe(204)
    expect(answer.text).toBe('')
    expect(mock.profiles).toEqual([
      { profile: valid, locationEnrichment: null, receivedAt: expect.any(Number) }
    ])
    expect(mock.log).toEqual([{ kind: 'profile', userKey: 'user-1' }])
  })

  it.each([
    ['an unknown field', { ...valid, email: 'a@b.c' }, 'email'],
    ['no user', { properties: {} }, 'userId'],
    ['no properties', { userId: 'u' }, 'properties'],
    ['properties as an array', { userId: 'u', properties: [] }, 'properties'],
    ['deviceData as an array', { userId: 'u', properties: {}, deviceData: [] }, 'deviceData'],
    ['a body that is not an object', [valid], 'body']
  ])('refuses %s with 400', async (_label, body, field) => {
    const answer = await profile(body)
    expect(answer).toMatchObject({ status: 400, json: { problems: [expect.objectContaining({ field })] } })
    expect(mock.profiles).toHaveLength(0)
  })
})

describe('faults', () => {
  it('status: answers the fault (429 + Retry-After) for the next n requests, then the contract again', async () => {
    mock.failNext(1, { type: 'status', status: 429, headers: { 'Retry-After': '3' } })
    const first = await single(event())
    expect(first.status).toBe(429)
    expect(first.headers.get('retry-after')).toBe('3')
    expect((await single(event())).status).toBe(204)
    expect(mock.events).toHaveLength(1)
  })

  it('setFault: persists until cleared', async () => {
    mock.setFault({ type: 'status', status: 503 })
    expect((await single(event())).status).toBe(503)
    expect((await single(event())).status).toBe(503)
    mock.setFault(null)
    expect((await single(event())).status).toBe(204)
  })

  it('timeout: never answers; reset: the socket is reset; neither stores anything', async () => {
    mock.failNext(1, { type: 'timeout' })
    mock.failNext(1, { type: 'reset' })
    const timedOut = await fetchFailure(
      fetch(`${mock.url}/event/ingest`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` },
        body: JSON.stringify(event()),
        signal: AbortSignal.timeout(150)
      })
    )
    expect(timedOut.name).toBe('TimeoutError')
    const reset = await fetchFailure(single(event()))
    expect(['ECONNRESET', 'UND_ERR_SOCKET']).toContain(reset.code)
    expect(mock.events).toHaveLength(0)
  })

  it('reset after handling: stored upstream, answer lost, a resend is a visible duplicate', async () => {
    mock.failNext(1, { type: 'reset', handled: true })
    await fetchFailure(single(event()))
    expect((await single(event())).status).toBe(204)
    expect(mock.duplicates()).toHaveLength(1)
  })

  it('slow: answers normally after the delay', async () => {
    mock.failNext(1, { type: 'slow', delayMs: 150 })
    const started = Date.now()
    expect((await single(event())).status).toBe(204)
    expect(Date.now() - started).toBeGreaterThanOrEqual(140)
  })

  it('stop(): connection refused; restart(): the same port answers again', async () => {
    const { url } = mock
    await mock.stop()
    expect((await fetchFailure(single(event()))).code).toBe('ECONNREFUSED')
    await mock.restart()
    expect(mock.url).toBe(url)
    expect((await single(event())).status).toBe(204)
  })

  it('waitForEvents resolves once enough events arrived and says how many it has otherwise', async () => {
    await batch([event(), event()])
    await expect(mock.waitForEvents(2, 200)).resolves.toBeUndefined()
    await expect(mock.waitForEvents(3, 60)).rejects.toThrow(/accept 3 events; it has 2/)
  })

  it('reset() forgets what was received', async () => {
    await single(event())
    await single(event({ name: 'bad name' }))
    mock.reset()
    expect([mock.events, mock.log, mock.rejections, mock.requests]).toEqual([[], [], [], []])
  })
})

// Keeps the exported event type honest: a value built from it must pass the mock.
it('UserFluxEvent type describes an accepted event', async () => {
  const typed: UserFluxEvent = { anonymousId: 'anon-1', name: 'app_opened', timestamp: NOW, properties: {} }
  expect((await single(typed)).status).toBe(204)
})
