import { describe, expect, it } from 'vitest'
import { weespin } from '../../src/main/connectors/weespin'
import type { IngestOutcome, Problem } from '../../src/main/connectors/types'

const NOW = Date.parse('2026-06-14T12:00:00.000Z')
const accept = (path: string, body: unknown, idempotencyKey?: string) =>
  weespin.routes
    .find((r) => r.path === path)!
    .accept({ body, text: JSON.stringify(body), idempotencyKey, params: {}, query: {}, now: NOW })
const event = (body: unknown, idempotencyKey?: string) => accept('/events', body, idempotencyKey)

function problems(outcome: IngestOutcome): Problem[] {
  if (outcome.ok) throw new Error('expected a rejection')
  expect(outcome.status).toBe(400)
  return outcome.problems
}

const validEvent = (overrides: Record<string, unknown> = {}) => ({
  event_name: 'add_to_cart',
  device_id: 'ws_device_1',
  payload: { sku: 'A1', quantity: 2, price: 9.5, gift: false },
  userId: 'u1',
  ...overrides
})

describe('Weespin ingest', () => {
  it('accepts both registration paths with the documented shape and a provisional id', () => {
    const body = { platform: 'android', os: '14', model: 'Pixel' }
    for (const path of ['/initialize-device', '/events/initialize']) {
      const outcome = accept(path, body)
      if (!outcome.ok) throw new Error('expected acceptance')
      expect(outcome.events[0]).toMatchObject({
        kind: 'device',
        name: 'initialize_device',
        payload: JSON.stringify(body)
      })
      const provisional = weespin.devices!.provisionalIdFor(outcome.events[0]!.messageId)
      expect(provisional).toMatch(/^local_[0-9a-f]{32}$/)
      expect(outcome.reply({ inserted: 1, duplicates: 0, deviceId: provisional })).toEqual({
        status: 200,
        headers: { 'x-outpost-provisional': 'true' },
        body: {
          event: {
            event_name: 'app_installed',
            event_type: 'app_installed',
            device_info: { device_id: provisional, platform: 'android', os: '14' },
            location: {}
          }
        }
      })
    }
    expect(problems(accept('/initialize-device', ['x']))[0]).toMatchObject({
      field: '',
      reason: expect.stringMatching(/object/)
    })
  })

  it('gives two equal registrations two provisional ids, a keyed retry the same one', () => {
    const body = { platform: 'android', os: '14' }
    const registered = (idempotencyKey?: string) => {
      const outcome = accept('/initialize-device', body, idempotencyKey)
      if (!outcome.ok) throw new Error('expected acceptance')
      const { messageId } = outcome.events[0]!
      return { messageId, provisional: weespin.devices!.provisionalIdFor(messageId) }
    }
    const first = registered()
    const second = registered()
    expect(first.messageId).toMatch(/^weespin_device_[0-9a-f]{32}$/)
    expect(first.provisional).toBe(`local_${first.messageId.slice('weespin_device_'.length)}`)
    expect(second.provisional).not.toBe(first.provisional)
    const keyed = registered('install-1')
    expect(keyed.messageId).toBe('weespin_device_key_install-1#0')
    expect(keyed.provisional).toMatch(/^local_[0-9a-f]{32}$/)
    expect(registered('install-1').provisional).toBe(keyed.provisional)
    expect(registered('install-2').provisional).not.toBe(keyed.provisional)
  })

  it('accepts a valid event; equal events are two events unless sent with one Idempotency-Key', () => {
    const outcome = event(validEvent())
    if (!outcome.ok) throw new Error(JSON.stringify(outcome.problems))
    expect(outcome.events[0]).toMatchObject({
      messageId: expect.stringMatching(/^weespin_[0-9a-f]{32}$/),
      kind: 'track',
      name: 'add_to_cart',
      userKey: 'u1',
      payload: JSON.stringify(validEvent())
    })
    const again = event(validEvent())
    expect(again.ok && again.events[0]?.messageId).not.toBe(outcome.events[0]?.messageId)
    const keyed = event(validEvent(), 'tap-1')
    expect(keyed.ok && keyed.events[0]).toMatchObject({
      messageId: 'weespin_key_tap-1#0',
      keyedByRequest: true
    })
    const retried = event(validEvent(), 'tap-1')
    expect(retried.ok && retried.events[0]?.messageId).toBe('weespin_key_tap-1#0')
    expect(outcome.reply({ inserted: 1, duplicates: 0 })).toEqual({ status: 200, body: { success: true } })
  })

  it('names every broken rule', () => {
    expect(problems(event(validEvent({ event_name: '' })))).toEqual([
      { field: 'event_name', reason: 'must not be empty or blank' }
    ])
    expect(problems(event(validEvent({ event_name: '  ' })))).toEqual([
      { field: 'event_name', reason: 'must not be empty or blank' }
    ])
    expect(problems(event(validEvent({ userId: '' })))).toEqual([
      { field: 'userId', reason: 'must be at least 1 character long' }
    ])
    expect(problems(event(validEvent({ device_id: undefined })))).toEqual([
      { field: 'device_id', reason: 'is required' }
    ])
    expect(problems(event(validEvent({ payload: { cart: { items: 2 } } })))).toEqual([
      { field: 'payload.cart', reason: expect.stringMatching(/string, an integer, a double or a boolean/) }
    ])
    expect(problems(event(validEvent({ payload: { note: null } })))[0]).toMatchObject({
      field: 'payload.note'
    })
    expect(problems(event(validEvent({ colour: 'red' })))).toEqual([
      { field: 'colour', reason: expect.stringMatching(/not a field/) }
    ])
    expect(problems(event(validEvent({ payload: { password: 'hunter2', card_number: '4111' } })))).toEqual([
      { field: 'payload.password', reason: expect.stringMatching(/never carry secrets/) },
      { field: 'payload.card_number', reason: expect.stringMatching(/never carry secrets/) }
    ])
  })
})

describe('Weespin delivery', () => {
  const claimed = (kind: 'device' | 'track', payload: unknown) => ({
    id: 1,
    messageId: 'm',
    kind,
    payload: JSON.stringify(payload),
    upstreamParams: null,
    name: 'fixture_event',
    attempts: 0
  })

  it('registers at /initialize-device and sends events one by one with the raw key', () => {
    expect(weespin.buildRequest([claimed('device', { os: '14' })], { apiKey: 'raw-key' })).toEqual({
      path: '/initialize-device',
      headers: { 'content-type': 'application/json', authorization: 'raw-key' },
      body: '{"os":"14"}'
    })
    expect(weespin.buildRequest([claimed('track', validEvent())], { apiKey: 'raw-key' }).path).toBe('/events')
    expect(weespin.batchLimit('track')).toBe(1)
  })

  it('reads the real device id from the registration answer', () => {
    const answer = (body: string) => ({ status: 200, headers: {}, body })
    expect(weespin.devices!.realIdFrom(answer('{"event":{"device_info":{"device_id":"ws_device_9"}}}'))).toBe(
      'ws_device_9'
    )
    expect(weespin.devices!.realIdFrom(answer('{"event":{}}'))).toBeNull()
    expect(weespin.devices!.realIdFrom(answer('not json'))).toBeNull()
  })

  it('classifies answers', () => {
    const answer = (status: number, headers: Record<string, string> = {}) => ({ status, headers, body: '' })
    expect(weespin.classifyResponse(answer(200), 1, NOW).outcome).toBe('ok')
    expect(weespin.classifyResponse(answer(401), 1, NOW).outcome).toBe('auth')
    expect(weespin.classifyResponse(answer(429, { 'retry-after': '3' }), 1, NOW)).toMatchObject({
      outcome: 'retry',
      retryAfterMs: 3000
    })
    expect(weespin.classifyResponse(answer(502), 1, NOW).outcome).toBe('retry')
    expect(weespin.classifyResponse(answer(404), 1, NOW).outcome).toBe('permanent')
  })
})
