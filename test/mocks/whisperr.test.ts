/**
 * Proves the Whisperr mock enforces the contract (shared/vendors/README.md, "Whisperr") and that
 * every fault of the base mock behaves as documented. If this file passes against a lenient
 * mock, the integration tests built on it prove nothing, so each rule is checked with real values.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startMockWhisperr, WHISPERR_MAX_BATCH, type MockWhisperr, type WhisperrEvent } from './whisperr'

const API_KEY = 'wk_test_123'
/** Fixed server clock: the contract's example time. */
const NOW = Date.parse('2026-06-14T12:00:00.000Z')
const MINUTE = 60_000
const DAY = 24 * 60 * MINUTE

let mock: MockWhisperr

beforeEach(async () => {
  mock = await startMockWhisperr({ apiKey: API_KEY, now: () => NOW })
})

afterEach(async () => {
  await mock.close()
})

function iso(ms: number): string {
  return new Date(ms).toISOString()
}

function event(overrides: Record<string, unknown> = {}, messageId = 'msg-1'): Record<string, unknown> {
  return {
    external_user_id: 'user-1',
    event_type: 'trial_started',
    occurred_at: iso(NOW - MINUTE),
    properties: { plan: 'pro' },
    context: { $message_id: messageId },
    ...overrides
  }
}

function withoutField(field: string): Record<string, unknown> {
  const copy = event()
  delete copy[field]
  return copy
}

interface Sent {
  status: number
  headers: Headers
  json: unknown
}

async function send(
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
  method = 'POST'
): Promise<Sent> {
  const text = typeof body === 'string' ? body : JSON.stringify(body)
  const response = await fetch(`${mock.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', 'x-api-key': API_KEY, ...headers },
    body: method === 'GET' ? undefined : text
  })
  const raw = await response.text()
  return {
    status: response.status,
    headers: response.headers,
    json: raw ? (JSON.parse(raw) as unknown) : undefined
  }
}

const track = (body: unknown, headers?: Record<string, string>) => send('/v1/events/track', body, headers)
const batch = (events: unknown[]) => send('/v1/events/batch', { events })
const identify = (body: unknown) => send('/v1/identify', body)

/** The error cause code undici puts on a failed fetch (ECONNREFUSED, ECONNRESET, UND_ERR_SOCKET...). */
async function fetchFailure(promise: Promise<unknown>): Promise<{ name: string; code: string | undefined }> {
  try {
    await promise
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause
    return { name: (error as Error).name, code: cause?.code }
  }
  throw new Error('expected the request to fail, but it succeeded')
}

describe('auth', () => {
  it('accepts X-API-Key and Authorization: Bearer', async () => {
    expect((await track(event({}, 'a'))).status).toBe(202)
    expect(
      (await track(event({}, 'b'), { 'x-api-key': '', authorization: `Bearer ${API_KEY}` })).status
    ).toBe(202)
    expect([...mock.received.keys()]).toEqual(['a', 'b'])
  })

  it.each([
    ['no key', { 'x-api-key': '' }],
    ['a wrong X-API-Key', { 'x-api-key': 'wk_wrong' }],
    ['a wrong Bearer token', { 'x-api-key': '', authorization: 'Bearer wk_wrong' }],
    ['the key without the Bearer scheme', { 'x-api-key': '', authorization: API_KEY }]
  ])('answers 401 JSON for %s and stores nothing', async (_label, headers) => {
    const answer = await track(event(), headers)
    expect(answer.status).toBe(401)
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/)
    expect(answer.json).toMatchObject({ error: 'unauthorized' })
    expect(mock.received.size).toBe(0)
  })
})

describe('request envelope', () => {
  it('refuses a non-JSON content type with 415', async () => {
    expect((await track(JSON.stringify(event()), { 'content-type': 'text/plain' })).status).toBe(415)
  })

  it('accepts application/json with a charset', async () => {
    expect((await track(event(), { 'content-type': 'application/json; charset=utf-8' })).status).toBe(202)
  })

  it('refuses invalid JSON with 400', async () => {
    const answer = await track('{"event_type": ')
    expect(answer.status).toBe(400)
    expect(answer.json).toMatchObject({ error: 'invalid_json' })
  })

  it('answers 404 for an unknown path and 405 (Allow: POST) for another method', async () => {
    expect((await send('/v1/events/trackx', event())).status).toBe(404)
    expect((await send('/v1/events/track/', event())).status).toBe(404)
    const wrongMethod = await send('/v1/events/track', undefined, {}, 'GET')
    expect(wrongMethod.status).toBe(405)
    expect(wrongMethod.headers.get('allow')).toBe('POST')
  })
})

describe('event validation (track)', () => {
  it('accepts a valid event with 202 {"accepted":1,"rejected":0}', async () => {
    const answer = await track(event())
    expect(answer.status).toBe(202)
    expect(answer.json).toEqual({ accepted: 1, rejected: 0 })
    expect(mock.received.get('msg-1')).toEqual(event())
  })

  it.each([
    ['anonymous_id only', { ...withoutField('external_user_id'), anonymous_id: 'anon-1' }, 'anon-1'],
    ['no properties (optional)', withoutField('properties'), 'user-1'],
    ['empty properties', event({ properties: {} }), 'user-1'],
    ['both ids: external_user_id wins', event({ anonymous_id: 'anon-9' }), 'user-1'],
    ['a 128-character id', event({ external_user_id: 'u'.repeat(128) }), 'u'.repeat(128)],
    ['exactly now + 5 minutes', event({ occurred_at: iso(NOW + 5 * MINUTE) }), 'user-1'],
    ['exactly now - 30 days', event({ occurred_at: iso(NOW - 30 * DAY) }), 'user-1'],
    ['extra context keys', event({ context: { $message_id: 'msg-1', library: 'outpost' } }), 'user-1']
  ])('accepts %s', async (_label, body, userKey) => {
    expect((await track(body)).status).toBe(202)
    expect(mock.log).toEqual([expect.objectContaining({ kind: 'track', messageId: 'msg-1', userKey })])
  })

  it.each([
    ['an unknown field', event({ user_id: 'user-1' }), 'user_id'],
    ['no user id at all', withoutField('external_user_id'), 'external_user_id'],
    ['an empty external_user_id', event({ external_user_id: '' }), 'external_user_id'],
    ['a 129-character id', event({ external_user_id: 'u'.repeat(129) }), 'external_user_id'],
    ['a numeric id', event({ external_user_id: 42 }), 'external_user_id'],
    ['a null anonymous_id', event({ anonymous_id: null }), 'anonymous_id'],
    ['no event_type', withoutField('event_type'), 'event_type'],
    ['event_type with capitals', event({ event_type: 'Trial_started' }), 'event_type'],
    ['event_type with a dash', event({ event_type: 'trial-started' }), 'event_type'],
    ['event_type with a double underscore', event({ event_type: 'trial__started' }), 'event_type'],
    ['event_type with a leading underscore', event({ event_type: '_trial' }), 'event_type'],
    ['event_type with a trailing underscore', event({ event_type: 'trial_' }), 'event_type'],
    ['event_type with a space', event({ event_type: 'trial started' }), 'event_type'],
    ['no occurred_at', withoutField('occurred_at'), 'occurred_at'],
    [
      'occurred_at 1 ms beyond now + 5 minutes',
      event({ occurred_at: iso(NOW + 5 * MINUTE + 1) }),
      'occurred_at'
    ],
    ['occurred_at 1 ms before now - 30 days', event({ occurred_at: iso(NOW - 30 * DAY - 1) }), 'occurred_at'],
    ['properties as an array', event({ properties: [] }), 'properties'],
    ['properties as null', event({ properties: null }), 'properties'],
    ['properties as a string', event({ properties: '{}' }), 'properties'],
    ['no context', withoutField('context'), 'context'],
    ['context as an array', event({ context: [] }), 'context'],
    ['context without $message_id', event({ context: { library: 'x' } }), 'context.$message_id'],
    ['an empty $message_id', event({ context: { $message_id: '' } }), 'context.$message_id'],
    ['a numeric $message_id', event({ context: { $message_id: 7 } }), 'context.$message_id']
  ])('refuses %s with 400 naming the field', async (_label, body, field) => {
    const answer = await track(body)
    expect(answer.status).toBe(400)
    expect(answer.json).toMatchObject({ problems: [expect.objectContaining({ field })] })
    expect(mock.received.size).toBe(0)
    expect(mock.deliveries.size).toBe(0)
  })

  // Each of these is inside the window once parsed, so only the format rule can refuse it.
  it.each([
    ['without milliseconds', '2026-06-14T12:00:00Z'],
    ['with a +01:00 offset', '2026-06-14T12:00:00.000+01:00'],
    ['with a +00:00 offset', '2026-06-14T11:59:00.000+00:00'],
    ['with microseconds', '2026-06-14T11:59:00.000000Z'],
    ['with a lowercase z', '2026-06-14T11:59:00.000z'],
    ['with a space separator', '2026-06-14 11:59:00.000Z'],
    ['with hour 24 (Date.parse rolls it to the next day)', '2026-06-13T24:00:00.000Z'],
    ['as epoch milliseconds', NOW - MINUTE],
    ['as a date only', '2026-06-14']
  ])('refuses occurred_at %s as a format error', async (_label, occurredAt) => {
    const answer = await track(event({ occurred_at: occurredAt }))
    expect(answer.status).toBe(400)
    expect(answer.json).toMatchObject({
      problems: [
        {
          field: 'occurred_at',
          reason: expect.stringMatching(/^must be RFC 3339 UTC with milliseconds and Z/)
        }
      ]
    })
  })

  it('refuses a day that does not exist even when Date.parse would roll it into the window', async () => {
    await mock.close()
    mock = await startMockWhisperr({ apiKey: API_KEY, now: () => Date.parse('2026-03-02T00:00:00.000Z') })
    // 2026 is not a leap year: Date.parse turns Feb 29 into Mar 1, 12 h before the clock.
    const answer = await track(event({ occurred_at: '2026-02-29T12:00:00.000Z' }))
    expect(answer.status).toBe(400)
    expect(answer.json).toMatchObject({
      problems: [{ field: 'occurred_at', reason: expect.stringMatching(/^must be RFC 3339/) }]
    })
    expect((await track(event({ occurred_at: '2026-02-28T12:00:00.000Z' }))).status).toBe(202)
  })

  it.each([
    ['31 days old', iso(NOW - 31 * DAY)],
    ['6 minutes ahead', iso(NOW + 6 * MINUTE)]
  ])('says timestamp_out_of_window for an event %s', async (_label, occurredAt) => {
    const answer = await track(event({ occurred_at: occurredAt }))
    expect(answer.status).toBe(400)
    expect(answer.json).toMatchObject({
      problems: [{ field: 'occurred_at', reason: expect.stringMatching(/^timestamp_out_of_window/) }]
    })
  })

  it('refuses an event that is not an object', async () => {
    expect((await track([event()])).status).toBe(400)
    expect((await track('"trial_started"')).status).toBe(400)
  })

  it('can require properties when asked to', async () => {
    await mock.close()
    mock = await startMockWhisperr({ apiKey: API_KEY, now: () => NOW, requireProperties: true })
    expect((await track(withoutField('properties'))).status).toBe(400)
    expect((await track(event({ properties: {} }))).status).toBe(202)
  })

  it('uses the now option for the window (default Date.now)', async () => {
    await mock.close()
    mock = await startMockWhisperr({ apiKey: API_KEY })
    // NOW (2026-06-14) is far from the real clock in one direction or the other, unless the test
    // happens to run in that window: then use a date that is out of range from the real clock.
    const farFromRealClock = Math.abs(Date.now() - NOW) > 31 * DAY ? NOW : Date.now() - 60 * DAY
    expect((await track(event({ occurred_at: iso(farFromRealClock) }))).status).toBe(400)
    expect((await track(event({ occurred_at: iso(Date.now()) }))).status).toBe(202)
  })
})

describe('batch', () => {
  const events = (count: number) => Array.from({ length: count }, (_, i) => event({}, `batch-${i}`))

  it(`accepts ${WHISPERR_MAX_BATCH} events`, async () => {
    const answer = await batch(events(WHISPERR_MAX_BATCH))
    expect(answer.status).toBe(202)
    expect(answer.json).toEqual({ accepted: WHISPERR_MAX_BATCH, rejected: 0 })
    expect(mock.received.size).toBe(WHISPERR_MAX_BATCH)
  })

  it.each([
    [`${WHISPERR_MAX_BATCH + 1} events`, { events: events(WHISPERR_MAX_BATCH + 1) }],
    ['no events', { events: [] }],
    ['events that is not an array', { events: event() }],
    ['no events field', {}],
    ['an unknown top-level field', { events: events(1), sent_at: iso(NOW) }],
    ['a bare array', events(1)]
  ])('refuses %s with 400 and stores nothing', async (_label, body) => {
    const answer = await send('/v1/events/batch', body)
    expect(answer.status).toBe(400)
    expect(mock.received.size).toBe(0)
  })

  it('partial mode (default): counts bad events as rejected and stores the rest', async () => {
    const answer = await batch([
      event({}, 'good-1'),
      event({ event_type: 'Bad' }, 'bad'),
      'not an event',
      event({}, 'good-2')
    ])
    expect(answer.status).toBe(202)
    expect(answer.json).toEqual({ accepted: 2, rejected: 2 })
    expect([...mock.received.keys()]).toEqual(['good-1', 'good-2'])
    expect(mock.rejections.at(-1)?.problems.map((p) => p.index)).toEqual([1, 2])
  })

  it('strict-batch mode: one bad event refuses the whole batch with 400', async () => {
    mock.mode = 'strict-batch'
    const answer = await batch([event({}, 'good-1'), event({ occurred_at: '2026-06-14T12:00:00Z' }, 'bad')])
    expect(answer.status).toBe(400)
    expect(answer.json).toMatchObject({ problems: [{ index: 1, field: 'occurred_at' }] })
    expect(mock.received.size).toBe(0)
    expect((await batch([event({}, 'good-1')])).json).toEqual({ accepted: 1, rejected: 0 })
  })
})

describe('identify', () => {
  const valid = {
    external_user_id: 'user-1',
    traits: { plan: 'pro' },
    preferred_channel: 'email',
    channels: [
      { channel: 'email', address: 'a@example.com', opted_in: true, verified: false },
      { channel: 'sms', address: '+15550100' }
    ]
  }

  it('accepts a full identify with 202 and records it', async () => {
    const answer = await identify(valid)
    expect(answer.status).toBe(202)
    expect(answer.json).toEqual({ accepted: 1, rejected: 0 })
    expect(mock.identifies).toEqual([valid])
    expect(mock.log).toEqual([expect.objectContaining({ kind: 'identify', userKey: 'user-1' })])
  })

  it('accepts anonymous_id alone', async () => {
    expect((await identify({ anonymous_id: 'anon-1' })).status).toBe(202)
  })

  it.each([
    ['an unknown field', { ...valid, email: 'a@example.com' }, 'email'],
    ['no user id', { traits: {} }, 'external_user_id'],
    ['traits as an array', { ...valid, traits: [] }, 'traits'],
    ['an unknown preferred_channel', { ...valid, preferred_channel: 'fax' }, 'preferred_channel'],
    ['channels that is not an array', { ...valid, channels: { channel: 'email' } }, 'channels'],
    ['an unknown channel', { ...valid, channels: [{ channel: 'fax', address: '1' }] }, 'channels[0].channel'],
    ['a channel without address', { ...valid, channels: [{ channel: 'push' }] }, 'channels[0].address'],
    [
      'a channel with an unknown field',
      { ...valid, channels: [{ channel: 'sms', address: '1', primary: true }] },
      'channels[0].primary'
    ],
    [
      'a non-boolean opted_in',
      { ...valid, channels: [{ channel: 'sms', address: '1', opted_in: 'yes' }] },
      'channels[0].opted_in'
    ],
    [
      'a non-boolean verified',
      { ...valid, channels: [{ channel: 'email', address: 'a@b.c', verified: 1 }] },
      'channels[0].verified'
    ],
    ['an empty address', { ...valid, channels: [{ channel: 'email', address: '' }] }, 'channels[0].address'],
    ['a message id (identify has none)', { ...valid, context: { $message_id: 'm' } }, 'context']
  ])('refuses %s with 400', async (_label, body, field) => {
    const answer = await identify(body)
    expect(answer.status).toBe(400)
    expect(answer.json).toMatchObject({ problems: [expect.objectContaining({ field })] })
    expect(mock.identifies).toHaveLength(0)
  })
})

describe('dedupe and order', () => {
  it('counts a re-sent $message_id in deliveries but stores it once', async () => {
    const first = event({ properties: { attempt: 1 } }, 'dup')
    expect((await track(first)).json).toEqual({ accepted: 1, rejected: 0 })
    expect((await batch([event({ properties: { attempt: 2 } }, 'dup'), event({}, 'other')])).json).toEqual({
      accepted: 2,
      rejected: 0
    })
    expect(mock.received.size).toBe(2)
    expect(mock.received.get('dup')).toEqual(first)
    expect(Object.fromEntries(mock.deliveries)).toEqual({ dup: 2, other: 1 })
    expect(mock.duplicateMessageIds()).toEqual(['dup'])
    expect(mock.log.map((entry) => entry.kind === 'track' && entry.duplicate)).toEqual([false, true, false])
  })

  it('logs tracks and identifies in the order they were accepted', async () => {
    await identify({ external_user_id: 'user-1' })
    await track(event({}, 'e1'))
    await identify({ anonymous_id: 'anon-2' })
    await batch([event({}, 'e2'), event({ external_user_id: 'user-3' }, 'e3')])
    expect(mock.log.map((entry) => `${entry.kind}:${entry.messageId ?? '-'}:${entry.userKey}`)).toEqual([
      'identify:-:user-1',
      'track:e1:user-1',
      'identify:-:anon-2',
      'track:e2:user-1',
      'track:e3:user-3'
    ])
  })

  it('reset() forgets everything', async () => {
    await track(event())
    mock.failNext(1, { type: 'status', status: 500 })
    mock.reset()
    expect((await track(event())).status).toBe(202)
    expect(mock.deliveries.get('msg-1')).toBe(1)
    expect(mock.requests).toHaveLength(1)
  })
})

describe('recording', () => {
  it('records method, path with query, lowercased headers, raw body, json and status', async () => {
    const before = Date.now()
    await send('/v1/events/track?debug=1', event(), { 'X-Trace-Id': 'trace-1' })
    expect(mock.requests).toHaveLength(1)
    const [recorded] = mock.requests
    expect(recorded).toMatchObject({
      method: 'POST',
      path: '/v1/events/track?debug=1',
      status: 202,
      fault: null
    })
    expect(recorded?.headers['x-trace-id']).toBe('trace-1')
    expect(recorded?.body).toBe(JSON.stringify(event()))
    expect(recorded?.json).toEqual(event())
    expect(recorded?.receivedAt).toBeGreaterThanOrEqual(before)
  })
})

describe('faults', () => {
  it('status: answers the fault for the next n requests, then the contract again', async () => {
    mock.failNext(2, {
      type: 'status',
      status: 429,
      headers: { 'Retry-After': '3' },
      body: { error: 'slow_down' }
    })
    const first = await track(event())
    expect(first.status).toBe(429)
    expect(first.headers.get('retry-after')).toBe('3')
    expect(first.json).toEqual({ error: 'slow_down' })
    expect((await track(event())).status).toBe(429)
    expect((await track(event())).status).toBe(202)
    expect(mock.requests.map((r) => [r.status, r.fault?.type ?? null])).toEqual([
      [429, 'status'],
      [429, 'status'],
      [202, null]
    ])
    // Faulted requests never reach the contract logic.
    expect(mock.deliveries.get('msg-1')).toBe(1)
  })

  it('setFault: persists until cleared; queued faults go first', async () => {
    mock.setFault({
      type: 'status',
      status: 503,
      headers: { 'retry-after': 'Wed, 21 Oct 2026 07:28:00 GMT' }
    })
    mock.failNext(1, { type: 'status', status: 401 })
    expect((await track(event())).status).toBe(401)
    const down = await track(event())
    expect(down.status).toBe(503)
    expect(down.headers.get('retry-after')).toBe('Wed, 21 Oct 2026 07:28:00 GMT')
    expect((await track(event())).status).toBe(503)
    mock.setFault(null)
    expect((await track(event())).status).toBe(202)
  })

  it('timeout: never answers, so the client gives up through its AbortSignal', async () => {
    mock.failNext(1, { type: 'timeout' })
    const started = Date.now()
    const failure = await fetchFailure(
      fetch(`${mock.url}/v1/events/track`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
        body: JSON.stringify(event()),
        signal: AbortSignal.timeout(150)
      })
    )
    expect(failure.name).toBe('TimeoutError')
    expect(Date.now() - started).toBeGreaterThanOrEqual(140)
    expect(mock.requests).toMatchObject([{ status: null, fault: { type: 'timeout' } }])
    expect(mock.received.size).toBe(0)
  })

  it('timeout: close() drops a held connection so nothing hangs', async () => {
    mock.failNext(1, { type: 'timeout' })
    const pending = fetchFailure(track(event()))
    await mock.waitFor((requests) => requests.length === 1, 1_000, 'the held request')
    await mock.close()
    const failure = await pending
    expect(failure.name).toBe('TypeError')
  })

  it('reset: the client sees a socket error and nothing is stored', async () => {
    mock.failNext(1, { type: 'reset' })
    const failure = await fetchFailure(track(event()))
    expect(failure.name).toBe('TypeError')
    expect(['ECONNRESET', 'UND_ERR_SOCKET']).toContain(failure.code)
    expect(mock.requests).toMatchObject([{ status: null, fault: { type: 'reset' } }])
    expect(mock.received.size).toBe(0)
  })

  it('reset after handling: stored upstream, answer lost, the retry is a counted duplicate', async () => {
    mock.failNext(1, { type: 'reset', handled: true })
    await fetchFailure(track(event()))
    expect(mock.received.size).toBe(1)
    expect((await track(event())).status).toBe(202)
    expect(mock.deliveries.get('msg-1')).toBe(2)
    expect(mock.duplicateMessageIds()).toEqual(['msg-1'])
  })

  it('slow: answers normally after the delay', async () => {
    mock.failNext(1, { type: 'slow', delayMs: 150 })
    const started = Date.now()
    const answer = await track(event())
    expect(Date.now() - started).toBeGreaterThanOrEqual(140)
    expect(answer.status).toBe(202)
    expect(mock.requests).toMatchObject([{ status: 202, fault: { type: 'slow', delayMs: 150 } }])
    expect(mock.received.size).toBe(1)
  })

  it('stop(): connection refused; restart(): the same port answers again', async () => {
    const { port, url } = mock
    expect((await track(event({}, 'before'))).status).toBe(202)
    await mock.stop()
    expect(mock.isListening()).toBe(false)
    expect((await fetchFailure(track(event({}, 'while-down')))).code).toBe('ECONNREFUSED')
    await mock.restart()
    expect(mock.isListening()).toBe(true)
    expect(mock.port).toBe(port)
    expect(mock.url).toBe(url)
    expect((await track(event({}, 'after'))).status).toBe(202)
    expect([...mock.received.keys()]).toEqual(['before', 'after'])
  })

  it('close() is idempotent and restart() after it is refused', async () => {
    await mock.close()
    await mock.close()
    await expect(mock.restart()).rejects.toThrow(/after close/)
  })
})

describe('waiting', () => {
  it('waitFor resolves once the predicate holds', async () => {
    const waiting = mock.waitFor((requests) => requests.some((r) => r.status === 202), 1_000)
    await track(event())
    await expect(waiting).resolves.toBeUndefined()
  })

  it('waitFor rejects with a message that shows what was received', async () => {
    await track(event({ event_type: 'Bad' }))
    await expect(mock.waitFor((requests) => requests.length > 1, 60, 'a second request')).rejects.toThrow(
      /Timed out after 60 ms waiting for mock whisperr requests to satisfy: a second request\n1 request\(s\) received:\n {2}POST \/v1\/events\/track -> 400/
    )
  })

  it('waitForEvents counts distinct events', async () => {
    await batch([event({}, 'x'), event({}, 'x'), event({}, 'y')])
    await expect(mock.waitForEvents(2, 200)).resolves.toBeUndefined()
    await expect(mock.waitForEvents(3, 60)).rejects.toThrow(/receive 3 distinct events; it has 2/)
  })
})

// Keeps the exported event type honest: a value built from it must pass the mock.
it('WhisperrEvent type describes an accepted event', async () => {
  const typed: WhisperrEvent = {
    anonymous_id: 'anon-1',
    event_type: 'app_opened',
    occurred_at: iso(NOW),
    properties: {},
    context: { $message_id: 'typed-1' }
  }
  expect((await track(typed)).status).toBe(202)
})
