/**
 * Proves the Embeddables mock enforces the contract (shared/vendors/README.md, "Embeddables"):
 * the `rk_` key in X-Api-Key, the one path, every body rule (JSON held in strings included),
 * 404 ENTRY_NOT_FOUND, no deduplication, and that the base mock's faults still apply. If this file
 * passes against a lenient mock, the integration tests built on it prove nothing.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  startMockEmbeddables,
  validateEmbeddablesEvent,
  type EmbeddablesEvent,
  type MockEmbeddables
} from './embeddables'

const API_KEY = 'rk_test_123'
const PATH = '/projects/proj_1/events'

let mock: MockEmbeddables

beforeEach(async () => {
  mock = await startMockEmbeddables({ apiKey: API_KEY })
})

afterEach(async () => {
  await mock.close()
})

function event(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    embeddable_id: 'flow_abc',
    timestamp: '2026-06-14T12:00:00.000Z',
    custom_event_name: 'quiz_completed',
    custom_event_props: '{"score": 9}',
    identifiers: [{ key: 'email', value: '"test@test.com"' }],
    ...overrides
  }
}

interface Sent {
  status: number
  headers: Headers
  json: unknown
}

async function send(
  body: unknown,
  headers: Record<string, string> = {},
  path = PATH,
  method = 'POST'
): Promise<Sent> {
  const response = await fetch(`${mock.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', 'x-api-key': API_KEY, ...headers },
    body: method === 'GET' ? undefined : typeof body === 'string' ? body : JSON.stringify(body)
  })
  const raw = await response.text()
  return {
    status: response.status,
    headers: response.headers,
    json: raw ? (JSON.parse(raw) as unknown) : undefined
  }
}

async function fetchFailure(promise: Promise<unknown>): Promise<{ name: string; code: string | undefined }> {
  try {
    await promise
  } catch (error) {
    return { name: (error as Error).name, code: (error as { cause?: { code?: string } }).cause?.code }
  }
  throw new Error('expected the request to fail, but it succeeded')
}

const fieldsOf = (sent: Sent) => (sent.json as { problems: { field: string }[] }).problems.map((p) => p.field)

describe('auth', () => {
  it('refuses to start with a key that is not a restricted rk_ key', async () => {
    await expect(startMockEmbeddables({ apiKey: 'sk_live_1' })).rejects.toThrow(/must start with rk_/)
  })

  it.each([
    ['no X-Api-Key', {}, /missing X-Api-Key/],
    ['a wrong rk_ key', { 'x-api-key': 'rk_wrong' }, /wrong API key/],
    ['a key that is not rk_', { 'x-api-key': 'sk_test_123' }, /restricted key starting with rk_/],
    ['the key as a Bearer token only', { authorization: `Bearer ${API_KEY}` }, /missing X-Api-Key/]
  ])('answers 401 for %s and stores nothing', async (_label, headers, reason) => {
    const response = await fetch(`${mock.url}${PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(event())
    })
    expect(response.status).toBe(401)
    expect(await response.json()).toMatchObject({
      error: 'unauthorized',
      problems: [{ field: 'x-api-key', reason: expect.stringMatching(reason) }]
    })
    expect(mock.events).toHaveLength(0)
  })
})

describe('request envelope', () => {
  it('answers 404 NOT_FOUND for every other path', async () => {
    for (const path of [
      '/events',
      '/projects/events',
      '/projects/p/events/',
      '/projects/p/event',
      '/v1/projects/p/events',
      '/projects/a/b/events'
    ]) {
      const answer = await send(event(), {}, path)
      expect(answer.status, path).toBe(404)
      expect(answer.json).toMatchObject({ error: 'NOT_FOUND' })
    }
    expect(mock.events).toHaveLength(0)
  })

  it('answers 405 (Allow: POST) for another method', async () => {
    const answer = await send(undefined, {}, PATH, 'GET')
    expect(answer.status).toBe(405)
    expect(answer.headers.get('allow')).toBe('POST')
  })

  it('refuses a non-JSON content type with 415 and a malformed body with 400', async () => {
    expect((await send(JSON.stringify(event()), { 'content-type': 'text/plain' })).status).toBe(415)
    expect(await send('{"embeddable_id": ')).toMatchObject({ status: 400, json: { error: 'invalid_json' } })
    expect(mock.events).toHaveLength(0)
  })
})

describe('events', () => {
  it('accepts a valid event with 200 describing the stored event, and records it', async () => {
    const answer = await send(event())
    expect(answer.status).toBe(200)
    expect(answer.json).toEqual({
      id: expect.stringMatching(/^evt_[0-9a-f]{16}$/),
      event_type: 'custom_event:triggered',
      project_id: 'proj_1',
      embeddable_id: 'flow_abc',
      entry_id: expect.stringMatching(/^entry_[0-9a-f]{16}$/),
      custom_event_name: 'quiz_completed',
      timestamp: '2026-06-14T12:00:00.000Z'
    })
    expect(mock.events).toEqual([
      {
        id: (answer.json as { id: string }).id,
        projectId: 'proj_1',
        body: event(),
        props: { score: 9 },
        identifier: { key: 'email', value: 'test@test.com' },
        receivedAt: expect.any(Number)
      }
    ])
  })

  it('decodes the project id from the path', async () => {
    await send(event(), {}, '/projects/my%20project/events')
    expect(mock.events[0]?.projectId).toBe('my project')
  })

  it.each([
    ['a missing field', { embeddable_id: undefined }, 'embeddable_id', /required/],
    ['an unknown field', { custom_event_properties: '{}' }, 'custom_event_properties', /unknown field/],
    ['a timestamp without a zone', { timestamp: '2026-06-14T12:00:00' }, 'timestamp', /ISO 8601/],
    ['a timestamp on no real day', { timestamp: '2026-02-30T12:00:00Z' }, 'timestamp', /ISO 8601/],
    ['a date only', { timestamp: '2026-06-14' }, 'timestamp', /ISO 8601/],
    ['an epoch number timestamp', { timestamp: 1781438400000 }, 'timestamp', /non-empty string/],
    [
      'a name that is not snake_case',
      { custom_event_name: 'QuizCompleted' },
      'custom_event_name',
      /snake_case/
    ],
    ['props as an object', { custom_event_props: { score: 9 } }, 'custom_event_props', /string holding JSON/],
    ['props that are not JSON', { custom_event_props: '{score: 9}' }, 'custom_event_props', /not valid JSON/],
    ['props holding an array', { custom_event_props: '[9]' }, 'custom_event_props', /JSON object/],
    ['no identifier', { identifiers: [] }, 'identifiers', /exactly one/],
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
    ['identifiers as an object', { identifiers: { key: 'email', value: '"a@b.c"' } }, 'identifiers', /array/],
    [
      'a raw identifier value',
      { identifiers: [{ key: 'email', value: 'test@test.com' }] },
      'identifiers[0].value',
      /JSON-encoded/
    ],
    [
      'an identifier value that is not a string',
      { identifiers: [{ key: 'email', value: 5 }] },
      'identifiers[0].value',
      /string holding/
    ],
    [
      'an identifier encoding null',
      { identifiers: [{ key: 'email', value: 'null' }] },
      'identifiers[0].value',
      /non-empty string or a number/
    ],
    ['an identifier without key', { identifiers: [{ value: '"a@b.c"' }] }, 'identifiers[0].key', /required/],
    [
      'an identifier with an extra field',
      { identifiers: [{ key: 'k', value: '"v"', kind: 'x' }] },
      'identifiers[0].kind',
      /unknown field/
    ]
  ])('refuses %s with 400 naming the field', async (_label, overrides, field, reason) => {
    const answer = await send(event(overrides))
    expect(answer.status).toBe(400)
    expect(answer.json).toMatchObject({
      error: 'invalid_event',
      problems: [{ field, reason: expect.stringMatching(reason) }]
    })
    expect(mock.events).toHaveLength(0)
  })

  it('accepts the timestamp forms of ISO 8601 it should, and a numeric identifier', async () => {
    for (const timestamp of [
      '2026-06-14T12:00:00Z',
      '2026-06-14T14:00:00+02:00',
      '2026-06-14T12:00:00.123456Z'
    ]) {
      expect((await send(event({ timestamp }))).status, timestamp).toBe(200)
    }
    expect((await send(event({ identifiers: [{ key: 'user_id', value: '42' }] }))).status).toBe(200)
    expect(mock.events.at(-1)?.identifier).toEqual({ key: 'user_id', value: 42 })
  })

  it('lists every problem at once', async () => {
    const answer = await send(event({ timestamp: 'now', custom_event_name: 'Bad', extra: 1 }))
    expect(fieldsOf(answer).sort()).toEqual(['custom_event_name', 'extra', 'timestamp'])
  })

  it('answers 404 ENTRY_NOT_FOUND when no entry matches the identifier', async () => {
    mock.entries = [{ key: 'email', value: 'known@test.com' }]
    const unknown = await send(event())
    expect(unknown.status).toBe(404)
    expect(unknown.json).toMatchObject({
      error: 'ENTRY_NOT_FOUND',
      message: expect.stringMatching(/no entry matches email = "test@test.com"/)
    })
    const wrongKey = await send(event({ identifiers: [{ key: 'phone', value: '"known@test.com"' }] }))
    expect(wrongKey.status).toBe(404)
    const known = await send(event({ identifiers: [{ key: 'email', value: '"known@test.com"' }] }))
    expect(known.status).toBe(200)
    expect(mock.events).toHaveLength(1)
  })

  it('deduplicates nothing: an equal request is stored again and counted', async () => {
    await send(event())
    await send(event())
    await send(event(), {}, '/projects/proj_2/events')
    expect(mock.events).toHaveLength(3)
    expect([...mock.deliveries.values()].sort()).toEqual([1, 2])
  })
})

describe('validation function', () => {
  it('accepts a typed event and reports a non-object body', () => {
    const typed: EmbeddablesEvent = {
      embeddable_id: 'flow_1',
      timestamp: '2026-06-14T12:00:00Z',
      custom_event_name: 'signup',
      custom_event_props: '{}',
      identifiers: [{ key: 'email', value: '"a@b.c"' }]
    }
    expect(validateEmbeddablesEvent(typed)).toEqual([])
    expect(validateEmbeddablesEvent([typed])).toEqual([
      { field: 'body', reason: 'must be an object, got an array' }
    ])
  })
})

describe('faults (through the base mock)', () => {
  it('failNext 429 with Retry-After answers the fault and stores nothing, then the contract again', async () => {
    mock.failNext(1, { type: 'status', status: 429, headers: { 'retry-after': '2' } })
    const limited = await send(event())
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toBe('2')
    expect(mock.events).toHaveLength(0)
    expect((await send(event())).status).toBe(200)
    expect(mock.requests.map((r) => [r.status, r.fault?.type ?? null])).toEqual([
      [429, 'status'],
      [200, null]
    ])
  })

  it('reset after handling: the event is stored but the client never hears it, so a resend duplicates', async () => {
    mock.failNext(1, { type: 'reset', handled: true })
    expect((await fetchFailure(send(event()))).name).toBe('TypeError')
    expect(mock.events).toHaveLength(1)
    await send(event())
    expect([...mock.deliveries.values()]).toEqual([2])
  })

  it('timeout: never answers and stores nothing', async () => {
    mock.failNext(1, { type: 'timeout' })
    const failure = await fetchFailure(
      fetch(`${mock.url}${PATH}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
        body: JSON.stringify(event()),
        signal: AbortSignal.timeout(100)
      })
    )
    expect(failure.name).toBe('TimeoutError')
    expect(mock.events).toHaveLength(0)
  })

  it('stop(): connection refused; restart(): the same port answers again', async () => {
    await mock.stop()
    expect((await fetchFailure(send(event()))).code).toBe('ECONNREFUSED')
    await mock.restart()
    expect((await send(event())).status).toBe(200)
  })

  it('reset() forgets events, deliveries, requests, faults and entries', async () => {
    mock.entries = []
    await send(event())
    mock.failNext(1, { type: 'status', status: 500 })
    mock.reset()
    expect(mock.entries).toBeNull()
    expect(mock.requests).toHaveLength(0)
    expect(mock.rejections).toHaveLength(0)
    expect((await send(event())).status).toBe(200)
    expect(mock.deliveries.size).toBe(1)
  })

  it('waitForEvents resolves on a count and explains a timeout', async () => {
    await send(event())
    await expect(mock.waitForEvents(1, 200)).resolves.toBeUndefined()
    await expect(mock.waitForEvents(2, 60)).rejects.toThrow(/accept 2 events; it has 1/)
  })
})
