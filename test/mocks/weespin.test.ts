/**
 * Proves the Weespin mock enforces the contract (shared/vendors/README.md, "Weespin"): raw-key
 * auth, device registration on both paths, events only for device ids it issued (never a
 * provisional `local_` id), payload value types, and that the base mock's faults still apply.
 * If this file passes against a lenient mock, the integration tests built on it prove nothing.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  startMockWeespin,
  validateWeespinEvent,
  validateWeespinPayload,
  WEESPIN_INITIALIZE_PATHS,
  type MockWeespin,
  type WeespinEvent,
  type WeespinInitializeResponse
} from './weespin'

const API_KEY = 'ws_key_test_123'
const NOW = Date.parse('2026-06-14T12:00:00.000Z')

let mock: MockWeespin
let clock: number

beforeEach(async () => {
  clock = NOW
  mock = await startMockWeespin({ apiKey: API_KEY, now: () => clock++ })
})

afterEach(async () => {
  await mock.close()
})

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
    headers: { 'content-type': 'application/json', authorization: API_KEY, ...headers },
    body: method === 'GET' ? undefined : text
  })
  const raw = await response.text()
  return {
    status: response.status,
    headers: response.headers,
    json: raw ? (JSON.parse(raw) as unknown) : undefined
  }
}

const initialize = (body: unknown = {}, headers?: Record<string, string>) =>
  send('/initialize-device', body, headers)
const track = (body: unknown, headers?: Record<string, string>) => send('/events', body, headers)

/** Register a device through HTTP and return the id the mock issued. */
async function registerDevice(body: unknown = { platform: 'macos', os: '15.1' }): Promise<string> {
  const answer = await initialize(body)
  expect(answer.status).toBe(200)
  return (answer.json as WeespinInitializeResponse).event.device_info.device_id
}

function event(deviceId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { event_name: 'add_to_cart', device_id: deviceId, payload: { sku: 'A-1', qty: 2 }, ...overrides }
}

function withoutField(body: Record<string, unknown>, field: string): Record<string, unknown> {
  const copy = { ...body }
  delete copy[field]
  return copy
}

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
  it('accepts the raw key in Authorization', async () => {
    expect((await initialize()).status).toBe(200)
  })

  it.each([
    ['no Authorization header', { authorization: '' }, /got none/],
    ['a wrong key', { authorization: 'ws_key_wrong' }, /wrong API key/],
    [
      'the right key with the Bearer scheme',
      { authorization: `Bearer ${API_KEY}` },
      /without the Bearer scheme/
    ],
    ['the right key with a lowercase bearer', { authorization: `bearer ${API_KEY}` }, /without the Bearer/],
    ['the key in X-API-Key only', { authorization: '', 'x-api-key': API_KEY }, /got none/]
  ])('answers 401 JSON for %s on every endpoint and stores nothing', async (_label, headers, reason) => {
    const deviceId = await registerDevice()
    for (const path of [...WEESPIN_INITIALIZE_PATHS, '/events']) {
      // fetch drops an empty header value entirely, so '' means "not sent".
      const cleaned = Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== ''))
      const response = await fetch(`${mock.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...cleaned },
        body: JSON.stringify(path === '/events' ? event(deviceId) : {})
      })
      expect(response.status).toBe(401)
      expect(response.headers.get('content-type')).toMatch(/^application\/json/)
      expect(await response.json()).toMatchObject({
        error: 'unauthorized',
        problems: [{ field: 'authorization', reason: expect.stringMatching(reason) }]
      })
    }
    expect(mock.devices.size).toBe(1)
    expect(mock.events).toHaveLength(0)
  })
})

describe('request envelope', () => {
  it('refuses a non-JSON content type with 415 on both kinds of endpoint', async () => {
    expect((await initialize('{}', { 'content-type': 'text/plain' })).status).toBe(415)
    const deviceId = await registerDevice()
    expect((await track(JSON.stringify(event(deviceId)), { 'content-type': 'text/plain' })).status).toBe(415)
    expect(mock.devices.size).toBe(1)
    expect(mock.events).toHaveLength(0)
  })

  it('accepts application/json with a charset', async () => {
    const answer = await initialize({}, { 'content-type': 'application/json; charset=utf-8' })
    expect(answer.status).toBe(200)
  })

  it.each([
    ['/initialize-device', '{"platform": '],
    ['/events/initialize', ''],
    ['/events', '{"event_name": "x",}']
  ])('refuses invalid JSON on %s with 400', async (path, body) => {
    const answer = await send(path, body)
    expect(answer.status).toBe(400)
    expect(answer.json).toMatchObject({ error: 'invalid_json' })
  })

  it('answers 404 for unknown paths (trailing slash and case included)', async () => {
    for (const path of [
      '/',
      '/event',
      '/events/',
      '/initialize-device/',
      '/Events',
      '/v1/events',
      '/devices'
    ]) {
      const answer = await send(path, {})
      expect(answer.status, path).toBe(404)
      expect(answer.json).toMatchObject({ error: 'not_found' })
    }
  })

  it('answers 405 (Allow: POST) for another method on a known path', async () => {
    for (const [path, method] of [
      ['/events', 'GET'],
      ['/events', 'PUT'],
      ['/initialize-device', 'GET'],
      ['/events/initialize', 'DELETE']
    ] as const) {
      const answer = await send(path, method === 'GET' ? undefined : {}, {}, method)
      expect(answer.status, `${method} ${path}`).toBe(405)
      expect(answer.headers.get('allow')).toBe('POST')
    }
  })

  it('ignores the query string when routing', async () => {
    expect((await send('/initialize-device?debug=1', {})).status).toBe(200)
  })
})

describe('device registration', () => {
  it.each(WEESPIN_INITIALIZE_PATHS)(
    '%s answers 200 with app_installed and a new ws_device_ id',
    async (path) => {
      const body = { platform: 'ios', os: '18.2', app_version: '3.1.0' }
      const answer = await send(path, body)
      expect(answer.status).toBe(200)
      expect(answer.headers.get('content-type')).toMatch(/^application\/json/)
      expect(answer.json).toEqual({
        event: {
          event_name: 'app_installed',
          event_type: 'app_installed',
          device_info: {
            device_id: expect.stringMatching(/^ws_device_[0-9a-f]{16}$/),
            platform: 'ios',
            os: '18.2'
          },
          location: {}
        }
      })
      const deviceId = (answer.json as WeespinInitializeResponse).event.device_info.device_id
      expect([...mock.devices]).toEqual([[deviceId, { registeredAt: NOW, body }]])
      expect(mock.log).toEqual([{ kind: 'register', deviceId, at: NOW }])
    }
  )

  it('leaves platform and os out of device_info when the request has none', async () => {
    const answer = await initialize({ app_version: '1.0' })
    expect((answer.json as WeespinInitializeResponse).event.device_info).toEqual({
      device_id: expect.stringMatching(/^ws_device_/)
    })
  })

  it('echoes only the field that was sent', async () => {
    const answer = await initialize({ os: 'Windows 11' })
    const info = (answer.json as WeespinInitializeResponse).event.device_info
    expect(info).toEqual({ device_id: expect.any(String), os: 'Windows 11' })
    expect('platform' in info).toBe(false)
  })

  it('mints a different id for every registration, on either path', async () => {
    const ids = [
      await registerDevice({}),
      await registerDevice({}),
      ((await send('/events/initialize', { platform: 'android' })).json as WeespinInitializeResponse).event
        .device_info.device_id
    ]
    expect(new Set(ids).size).toBe(3)
    expect([...mock.devices.keys()]).toEqual(ids)
  })

  it.each([
    ['an array', []],
    ['null', null],
    ['a string', '"macos"'],
    ['a number', 42]
  ])('refuses %s as body with 400 and registers nothing', async (_label, body) => {
    for (const path of WEESPIN_INITIALIZE_PATHS) {
      const answer = await send(path, body)
      expect(answer.status).toBe(400)
      expect(answer.json).toMatchObject({ problems: [{ field: 'body' }] })
    }
    expect(mock.devices.size).toBe(0)
    expect(mock.log).toHaveLength(0)
  })

  it('an id from one path is valid for events (both paths share the devices)', async () => {
    const deviceId = ((await send('/events/initialize', {})).json as WeespinInitializeResponse).event
      .device_info.device_id
    expect((await track(event(deviceId))).status).toBe(200)
  })
})

describe('events', () => {
  let deviceId: string

  beforeEach(async () => {
    deviceId = await registerDevice()
  })

  it('accepts a valid event with 200 {"success":true} and records it', async () => {
    const answer = await track(event(deviceId, { userId: 'user-1' }))
    expect(answer.status).toBe(200)
    expect(answer.json).toEqual({ success: true })
    expect(mock.events).toEqual([
      {
        eventName: 'add_to_cart',
        deviceId,
        userId: 'user-1',
        payload: { sku: 'A-1', qty: 2 },
        receivedAt: NOW + 1
      }
    ])
  })

  it.each([
    ['no payload (recorded as {})', withoutField(event('ID'), 'payload'), {}],
    ['an empty payload', event('ID', { payload: {} }), {}],
    [
      'every allowed value type',
      event('ID', { payload: { s: 'x', empty: '', i: 3, neg: -7, d: 19.99, zero: 0, t: true, f: false } }),
      { s: 'x', empty: '', i: 3, neg: -7, d: 19.99, zero: 0, t: true, f: false }
    ],
    ['a common name', event('ID', { event_name: 'purchase' }), { sku: 'A-1', qty: 2 }],
    ['a free-form event name', event('ID', { event_name: 'Checkout Started!' }), { sku: 'A-1', qty: 2 }]
  ])('accepts %s', async (_label, body, payload) => {
    const answer = await track({ ...body, device_id: deviceId })
    expect(answer.status).toBe(200)
    expect(mock.events).toEqual([expect.objectContaining({ deviceId, payload })])
    expect(mock.events[0]).not.toHaveProperty('userId')
  })

  it.each([
    ['an unknown top-level field', { timestamp: NOW }, 'timestamp'],
    ['user_id instead of userId', { user_id: 'user-1' }, 'user_id'],
    ['properties instead of payload', { properties: {} }, 'properties'],
    ['an empty event_name', { event_name: '' }, 'event_name'],
    ['a whitespace-only event_name', { event_name: '   ' }, 'event_name'],
    ['a numeric event_name', { event_name: 7 }, 'event_name'],
    ['a null event_name', { event_name: null }, 'event_name'],
    ['an empty device_id', { device_id: '' }, 'device_id'],
    ['a numeric device_id', { device_id: 12345 }, 'device_id'],
    ['a null device_id', { device_id: null }, 'device_id'],
    ['payload as an array', { payload: [] }, 'payload'],
    ['payload as null', { payload: null }, 'payload'],
    ['payload as a JSON string', { payload: '{"sku":"A-1"}' }, 'payload'],
    ['a nested object in payload', { payload: { item: { sku: 'A-1' } } }, 'payload.item'],
    ['an array in payload', { payload: { skus: ['A-1'] } }, 'payload.skus'],
    ['a null in payload', { payload: { coupon: null } }, 'payload.coupon'],
    ['an empty userId', { userId: '' }, 'userId'],
    ['a numeric userId', { userId: 42 }, 'userId'],
    ['a null userId', { userId: null }, 'userId']
  ])('refuses %s with 400 naming the field', async (_label, overrides, field) => {
    const answer = await track(event(deviceId, overrides))
    expect(answer.status).toBe(400)
    expect(answer.json).toMatchObject({
      error: 'invalid_event',
      problems: [expect.objectContaining({ field })]
    })
    expect(mock.events).toHaveLength(0)
    expect(mock.rejections).toEqual([expect.objectContaining({ path: '/events', status: 400 })])
  })

  it.each([
    ['event_name', 'event_name'],
    ['device_id', 'device_id']
  ])('refuses an event without %s', async (_label, field) => {
    const answer = await track(withoutField(event(deviceId), field))
    expect(answer.status).toBe(400)
    expect(answer.json).toMatchObject({ problems: [expect.objectContaining({ field })] })
  })

  it('refuses a number that JSON cannot carry as a double (1e400 parses to Infinity)', async () => {
    const answer = await track(`{"event_name":"x","device_id":"${deviceId}","payload":{"big":1e400}}`)
    expect(answer.status).toBe(400)
    expect(answer.json).toMatchObject({
      problems: [{ field: 'payload.big', reason: expect.stringMatching(/non-finite/) }]
    })
  })

  it('lists every problem at once', async () => {
    const answer = await track({ event_name: '', device_id: 'local_1', payload: { a: {}, b: [] }, extra: 1 })
    expect(answer.status).toBe(400)
    expect((answer.json as { problems: { field: string }[] }).problems.map((p) => p.field)).toEqual([
      'extra',
      'event_name',
      'device_id',
      'payload.a',
      'payload.b'
    ])
  })

  it.each([
    ['a bare array', []],
    ['null', null],
    ['a string', '"add_to_cart"']
  ])('refuses %s as body', async (_label, body) => {
    const answer = await track(body)
    expect(answer.status).toBe(400)
    expect(answer.json).toMatchObject({ problems: [{ field: 'body' }] })
  })
})

describe('device ids', () => {
  it.each(['local_1', 'local_5f2c9a1e-0b7d-4c3e-9d1a-2b3c4d5e6f70', 'local_'])(
    'refuses the provisional id %s with a clear reason',
    async (provisional) => {
      const answer = await track(event(provisional))
      expect(answer.status).toBe(400)
      expect(answer.json).toMatchObject({
        problems: [{ field: 'device_id', reason: expect.stringMatching(/provisional id \(local_\.\.\.\)/) }]
      })
      expect((answer.json as { message: string }).message).toContain(provisional)
      expect(mock.events).toHaveLength(0)
    }
  )

  it('refuses a local_ id even when a real device is registered', async () => {
    await registerDevice()
    expect((await track(event('local_abc'))).status).toBe(400)
  })

  it.each([
    ['a well-formed id it never issued', () => 'ws_device_0123456789abcdef'],
    ['a made-up id', () => 'device-1'],
    ['an issued id in upper case', (issued: string) => issued.toUpperCase()],
    ['an issued id with a trailing space', (issued: string) => `${issued} `]
  ])('refuses %s as an unknown device', async (_label, idFrom) => {
    const answer = await track(event(idFrom(await registerDevice())))
    expect(answer.status).toBe(400)
    expect(answer.json).toMatchObject({
      problems: [{ field: 'device_id', reason: expect.stringMatching(/^unknown device .*never issued/) }]
    })
  })

  it('logs the registration first, then the events with the real id', async () => {
    const first = await registerDevice()
    await track(event(first, { event_name: 'open_app' }))
    const second = await registerDevice({ platform: 'linux' })
    await track(event('local_2', { event_name: 'login' })) // refused: not logged
    await track(event(second, { event_name: 'login' }))
    await track(event(first, { event_name: 'purchase' }))
    expect(
      mock.log.map((entry) =>
        entry.kind === 'register' ? `register ${entry.deviceId}` : `${entry.eventName} ${entry.deviceId}`
      )
    ).toEqual([
      `register ${first}`,
      `open_app ${first}`,
      `register ${second}`,
      `login ${second}`,
      `purchase ${first}`
    ])
    expect(mock.log.map((entry) => entry.at)).toEqual([NOW, NOW + 1, NOW + 2, NOW + 3, NOW + 4])
    expect(mock.events.map((e) => e.eventName)).toEqual(['open_app', 'login', 'purchase'])
    expect(mock.rejections).toHaveLength(1)
  })

  it('keeps issued ids across stop() / restart(), like a real server', async () => {
    const deviceId = await registerDevice()
    await mock.stop()
    await mock.restart()
    expect((await track(event(deviceId))).status).toBe(200)
  })

  it('reset() forgets devices, events, log, requests and faults', async () => {
    const deviceId = await registerDevice()
    await track(event(deviceId))
    await track(event('local_1'))
    mock.failNext(1, { type: 'status', status: 500 })
    mock.reset()
    expect(mock.devices.size).toBe(0)
    expect(mock.events).toHaveLength(0)
    expect(mock.log).toHaveLength(0)
    expect(mock.rejections).toHaveLength(0)
    expect(mock.requests).toHaveLength(0)
    // No fault left, and the old id is now unknown.
    const answer = await track(event(deviceId))
    expect(answer.status).toBe(400)
    expect(answer.json).toMatchObject({ problems: [{ reason: expect.stringMatching(/^unknown device/) }] })
  })

  it('reset({ keepDevices: true }) keeps the issued ids valid', async () => {
    const deviceId = await registerDevice()
    await track(event(deviceId))
    mock.reset({ keepDevices: true })
    expect([...mock.devices.keys()]).toEqual([deviceId])
    expect(mock.log).toHaveLength(0)
    expect((await track(event(deviceId))).status).toBe(200)
    expect(mock.events).toHaveLength(1)
  })
})

describe('validation functions', () => {
  it('validateWeespinEvent checks against the given issued ids', () => {
    const issued = new Set(['ws_device_1'])
    expect(validateWeespinEvent({ event_name: 'login', device_id: 'ws_device_1' }, issued)).toEqual([])
    expect(validateWeespinEvent({ event_name: 'login', device_id: 'ws_device_2' }, issued)).toEqual([
      expect.objectContaining({ field: 'device_id' })
    ])
  })

  it('validateWeespinPayload reports each bad value', () => {
    expect(validateWeespinPayload({ a: 1, b: 1.5, c: 'x', d: false })).toEqual([])
    expect(validateWeespinPayload({ a: undefined, b: Number.NaN, c: {} }).map((p) => p.field)).toEqual([
      'payload.a',
      'payload.b',
      'payload.c'
    ])
  })
})

describe('recording', () => {
  it('records method, path with query, raw Authorization header, body, json and status', async () => {
    await send('/initialize-device?source=test', { platform: 'macos' })
    expect(mock.requests).toHaveLength(1)
    expect(mock.requests[0]).toMatchObject({
      method: 'POST',
      path: '/initialize-device?source=test',
      body: '{"platform":"macos"}',
      json: { platform: 'macos' },
      status: 200,
      fault: null
    })
    expect(mock.requests[0]?.headers['authorization']).toBe(API_KEY)
  })
})

describe('faults (through the base mock)', () => {
  it('failNext 503: answers the fault, stores nothing, then the contract again', async () => {
    const deviceId = await registerDevice()
    mock.failNext(1, { type: 'status', status: 503, headers: { 'retry-after': '2' } })
    const down = await track(event(deviceId))
    expect(down.status).toBe(503)
    expect(down.headers.get('retry-after')).toBe('2')
    expect(mock.events).toHaveLength(0)
    expect((await track(event(deviceId))).status).toBe(200)
    expect(mock.requests.map((r) => [r.status, r.fault?.type ?? null])).toEqual([
      [200, null],
      [503, 'status'],
      [200, null]
    ])
  })

  it('a fault on initialize registers no device', async () => {
    mock.failNext(1, { type: 'status', status: 500 })
    expect((await initialize()).status).toBe(500)
    expect(mock.devices.size).toBe(0)
    expect((await initialize()).status).toBe(200)
    expect(mock.devices.size).toBe(1)
  })

  it('reset after handling: the device exists upstream but the client never saw its id', async () => {
    mock.failNext(1, { type: 'reset', handled: true })
    const failure = await fetchFailure(initialize())
    expect(failure.name).toBe('TypeError')
    expect(mock.devices.size).toBe(1)
    // The retry registers a second device: registrations are not idempotent.
    await registerDevice()
    expect(mock.devices.size).toBe(2)
  })

  it('timeout: never answers, so the client gives up through its AbortSignal', async () => {
    mock.failNext(1, { type: 'timeout' })
    const failure = await fetchFailure(
      fetch(`${mock.url}/initialize-device`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: API_KEY },
        body: '{}',
        signal: AbortSignal.timeout(100)
      })
    )
    expect(failure.name).toBe('TimeoutError')
    expect(mock.devices.size).toBe(0)
  })

  it('stop(): connection refused; restart(): the same port answers again', async () => {
    const { port, url } = mock
    const deviceId = await registerDevice()
    await mock.stop()
    expect(mock.isListening()).toBe(false)
    expect((await fetchFailure(track(event(deviceId)))).code).toBe('ECONNREFUSED')
    await mock.restart()
    expect(mock.isListening()).toBe(true)
    expect(mock.port).toBe(port)
    expect(mock.url).toBe(url)
    expect((await track(event(deviceId))).status).toBe(200)
    expect(mock.events).toHaveLength(1)
  })
})

describe('waiting', () => {
  it('waitForDevices and waitForEvents resolve on counts and explain a timeout', async () => {
    const waiting = mock.waitForDevices(1, 1_000)
    const deviceId = await registerDevice()
    await expect(waiting).resolves.toBeUndefined()
    await track(event(deviceId))
    await expect(mock.waitForEvents(1, 200)).resolves.toBeUndefined()
    await expect(mock.waitForEvents(2, 60)).rejects.toThrow(/accept 2 events; it has 1/)
    await expect(mock.waitForDevices(2, 60)).rejects.toThrow(/register 2 devices; it has 1/)
  })
})

// Keeps the exported event type honest: a value built from it must pass the mock.
it('WeespinEvent type describes an accepted event', async () => {
  const deviceId = await registerDevice()
  const typed: WeespinEvent = {
    event_name: 'signup',
    device_id: deviceId,
    payload: { plan: 'pro', seats: 3, price: 9.5, trial: true },
    userId: 'user-9'
  }
  expect((await track(typed)).status).toBe(200)
})
