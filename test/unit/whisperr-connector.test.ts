import { describe, expect, it } from 'vitest'
import { whisperr } from '../../src/main/connectors/whisperr'
import type { IngestOutcome, Problem } from '../../src/main/connectors/types'

const NOW = Date.parse('2026-06-14T12:00:00.000Z')
const route = (path: string) => whisperr.routes.find((r) => r.path === path)!
const accept = (path: string, body: unknown, idempotencyKey?: string) =>
  route(path).accept({ body, text: JSON.stringify(body), idempotencyKey, params: {}, query: {}, now: NOW })
/** A request as the client wrote it: the text is what is stored, the value only validated. */
const acceptText = (path: string, text: string) =>
  route(path).accept({ body: JSON.parse(text), text, params: {}, query: {}, now: NOW })
const track = (body: unknown) => accept('/v1/events/track', body)
const batch = (body: unknown) => accept('/v1/events/batch', body)
const identify = (body: unknown, idempotencyKey?: string) => accept('/v1/identify', body, idempotencyKey)

function validEvent(overrides: Record<string, unknown> = {}) {
  return {
    external_user_id: 'user_1',
    event_type: 'trial_started',
    occurred_at: '2026-06-14T11:59:00.000Z',
    properties: { plan: 'pro' },
    context: { $message_id: 'msg-1' },
    ...overrides
  }
}

function problems(outcome: IngestOutcome): Problem[] {
  if (outcome.ok) throw new Error('expected a rejection')
  expect(outcome.status).toBe(400)
  return outcome.problems
}

describe('Whisperr ingest validation', () => {
  it('accepts a valid track and keeps the payload byte for byte', () => {
    const outcome = track(validEvent())
    if (!outcome.ok) throw new Error(JSON.stringify(outcome.problems))
    expect(outcome.events).toEqual([
      {
        messageId: 'msg-1',
        kind: 'track',
        name: 'trial_started',
        userKey: 'user_1',
        occurredAt: Date.parse('2026-06-14T11:59:00.000Z'),
        payload: JSON.stringify(validEvent()),
        upstreamParams: null
      }
    ])
    expect(outcome.reply({ inserted: 1, duplicates: 0 })).toEqual({
      status: 202,
      body: { accepted: 1, rejected: 0 }
    })
  })

  it.each([
    ['Trial-Started', 'event_type', /snake_case/],
    ['trial__started', 'event_type', /snake_case/],
    ['_trial', 'event_type', /snake_case/]
  ])('rejects event_type %s', (eventType, field, reason) => {
    expect(problems(track(validEvent({ event_type: eventType })))).toEqual([
      { field, reason: expect.stringMatching(reason) }
    ])
  })

  it.each([
    ['2026-06-14T12:00:00Z', /RFC 3339/],
    ['2026-06-14T12:00:00.000+01:00', /RFC 3339/],
    ['2026-06-14T12:00:00.000000Z', /RFC 3339/],
    ['2026-02-30T12:00:00.000Z', /RFC 3339/],
    // Date.parse takes this as the next midnight, inside the window.
    ['2026-06-13T24:00:00.000Z', /RFC 3339/],
    ['2026-06-14T12:06:00.000Z', /timestamp_out_of_window: it is 6 minutes in the future/],
    ['2026-05-14T11:00:00.000Z', /timestamp_out_of_window: it is 31 days in the past/]
  ])('rejects occurred_at %s', (occurredAt, reason) => {
    expect(problems(track(validEvent({ occurred_at: occurredAt })))).toEqual([
      { field: 'occurred_at', reason: expect.stringMatching(reason) }
    ])
  })

  it('accepts occurred_at at the edges of the window', () => {
    expect(track(validEvent({ occurred_at: '2026-06-14T12:05:00.000Z' })).ok).toBe(true)
    expect(track(validEvent({ occurred_at: '2026-05-15T12:00:00.000Z' })).ok).toBe(true)
    expect(track(validEvent({ occurred_at: '2026-05-31T23:59:59.999Z' })).ok).toBe(true)
  })

  it('names a missing $message_id, an unknown field, a non-object properties and a missing user', () => {
    expect(problems(track(validEvent({ context: {} })))).toEqual([
      { field: 'context.$message_id', reason: 'is required' }
    ])
    expect(problems(track(validEvent({ colour: 'red' })))).toEqual([
      { field: 'colour', reason: expect.stringMatching(/not a field of this API/) }
    ])
    expect(problems(track(validEvent({ properties: [] })))).toEqual([
      { field: 'properties', reason: 'must be an object ({...}), got an array' }
    ])
    expect(problems(track(validEvent({ external_user_id: undefined })))).toEqual([
      { field: 'external_user_id', reason: 'or anonymous_id is required' }
    ])
    expect(problems(track(validEvent({ anonymous_id: 'x'.repeat(129) })))).toEqual([
      { field: 'anonymous_id', reason: 'must be at most 128 characters long' }
    ])
  })

  it('accepts anonymous_id alone and uses it as the user key', () => {
    const outcome = track(validEvent({ external_user_id: undefined, anonymous_id: 'anon-7' }))
    expect(outcome.ok && outcome.events[0]?.userKey).toBe('anon-7')
  })

  it('refuses a whole batch with one bad event, naming its index', () => {
    const events = [
      validEvent(),
      validEvent({ event_type: 'Bad', context: { $message_id: 'm2' } }),
      validEvent()
    ]
    expect(problems(batch({ events }))).toEqual([
      { index: 1, field: 'event_type', reason: expect.stringMatching(/snake_case/) }
    ])
  })

  it('refuses empty, oversized and unknown-field batches', () => {
    expect(problems(batch({ events: [] }))).toEqual([
      { field: 'events', reason: 'must hold between 1 and 500 events' }
    ])
    const many = Array.from({ length: 501 }, (_, i) => validEvent({ context: { $message_id: `m${i}` } }))
    expect(problems(batch({ events: many }))).toEqual([
      { field: 'events', reason: 'must hold between 1 and 500 events' }
    ])
    expect(problems(batch({ events: [validEvent()], extra: 1 }))).toEqual([
      { field: 'extra', reason: expect.stringMatching(/not a field/) }
    ])
    expect(problems(batch([validEvent()]))[0]).toMatchObject({
      field: '',
      reason: expect.stringMatching(/must be an object/)
    })
  })

  it('accepts 500 events in a batch', () => {
    const many = Array.from({ length: 500 }, (_, i) => validEvent({ context: { $message_id: `m${i}` } }))
    const outcome = batch({ events: many })
    expect(outcome.ok && outcome.events.length).toBe(500)
  })

  it('stores each event of a batch as its own text, exactly as written', () => {
    const first = JSON.stringify(validEvent())
    const second = `{ "external_user_id": "user_2", "event_type": "trial_started",
      "occurred_at": "2026-06-14T11:59:00.000Z", "properties": { "seats": 12345678901234567890, "ratio": 1.0 },
      "context": { "$message_id": "msg-2" } }`
    const outcome = acceptText('/v1/events/batch', `{"events": [ ${first} ,\n ${second}]}`)
    if (!outcome.ok) throw new Error(JSON.stringify(outcome.problems))
    expect(outcome.events.map((event) => [event.messageId, event.payload])).toEqual([
      ['msg-1', first],
      ['msg-2', second]
    ])
  })

  it('stores a track as the trimmed text of the body', () => {
    const event = JSON.stringify(validEvent({ properties: { big: 0 } })).replace(
      '"big":0',
      '"big":9007199254740993'
    )
    const outcome = acceptText('/v1/events/track', `\n  ${event}\n`)
    expect(event).toContain('"big":9007199254740993')
    expect(outcome.ok && outcome.events[0]?.payload).toBe(event)
  })

  it('validates identify; two equal identifies are two calls with their own ids', () => {
    const body = {
      external_user_id: 'u1',
      traits: { plan: 'pro' },
      channels: [{ channel: 'email', address: 'a@b.c' }]
    }
    const first = identify(body)
    const again = identify(body)
    if (!first.ok || !again.ok) throw new Error('expected identify to be accepted')
    expect(first.events[0]).toMatchObject({ kind: 'identify', userKey: 'u1', payload: JSON.stringify(body) })
    expect(first.events[0]?.messageId).toMatch(/^identify_[0-9a-f]{32}$/)
    expect(again.events[0]?.messageId).toMatch(/^identify_[0-9a-f]{32}$/)
    expect(first.events[0]?.messageId).not.toBe(again.events[0]?.messageId)
    expect(problems(identify({ traits: {} }))).toEqual([
      { field: 'external_user_id', reason: 'or anonymous_id is required' }
    ])
    expect(problems(identify({ anonymous_id: 'a', channels: [{ channel: 'fax', address: '1' }] }))).toEqual([
      { field: 'channels.0.channel', reason: 'must be one of email, sms, push' }
    ])
  })

  it('gives a keyed identify the id made from its Idempotency-Key, the same on a retry', () => {
    const body = { external_user_id: 'u1', traits: { plan: 'pro' } }
    const keyed = identify(body, 'req-7')
    const retried = identify(body, 'req-7')
    if (!keyed.ok || !retried.ok) throw new Error('expected identify to be accepted')
    expect(keyed.events[0]).toMatchObject({ messageId: 'identify_key_req-7#0', keyedByRequest: true })
    expect(retried.events[0]?.messageId).toBe(keyed.events[0]?.messageId)
    expect(identify(body, 'req-8')).toMatchObject({ events: [{ messageId: 'identify_key_req-8#0' }] })
  })
})

describe('Whisperr delivery', () => {
  const claimed = (kind: 'track' | 'identify', id: number) => ({
    id,
    messageId: `m${id}`,
    kind,
    payload: JSON.stringify({ n: id }),
    upstreamParams: null,
    name: 'fixture_event',
    attempts: 0
  })

  it('sends tracks as one batch with the API key, identify alone', () => {
    const request = whisperr.buildRequest([claimed('track', 1), claimed('track', 2)], { apiKey: 'k1' })
    expect(request).toEqual({
      path: '/v1/events/batch',
      headers: { 'content-type': 'application/json', 'x-api-key': 'k1' },
      body: '{"events":[{"n":1},{"n":2}]}'
    })
    expect(whisperr.buildRequest([claimed('identify', 3)], { apiKey: 'k1' })).toMatchObject({
      path: '/v1/identify',
      body: '{"n":3}'
    })
    expect(whisperr.batchLimit('track')).toBe(500)
    expect(whisperr.batchLimit('identify')).toBe(1)
  })

  const answer = (status: number, body = '', headers: Record<string, string> = {}) => ({
    status,
    body,
    headers
  })

  it('classifies answers by the Whisperr delivery rules', () => {
    expect(whisperr.classifyResponse(answer(202, '{"accepted":3,"rejected":0}'), 3, NOW).outcome).toBe('ok')
    expect(whisperr.classifyResponse(answer(401), 3, NOW).outcome).toBe('auth')
    expect(whisperr.classifyResponse(answer(403), 3, NOW).outcome).toBe('auth')
    expect(whisperr.classifyResponse(answer(500), 3, NOW)).toMatchObject({
      outcome: 'retry',
      retryAfterMs: undefined
    })
    expect(whisperr.classifyResponse(answer(429, '', { 'retry-after': '7' }), 3, NOW)).toMatchObject({
      outcome: 'retry',
      retryAfterMs: 7000
    })
    expect(whisperr.classifyResponse(answer(503, '', { 'retry-after': '600' }), 3, NOW)).toMatchObject({
      retryAfterMs: 60_000
    })
    const date = new Date(NOW + 20_000).toUTCString()
    expect(whisperr.classifyResponse(answer(429, '', { 'retry-after': date }), 3, NOW)).toMatchObject({
      retryAfterMs: 20_000
    })
    expect(whisperr.classifyResponse(answer(422), 1, NOW)).toMatchObject({ outcome: 'permanent' })
    expect(whisperr.classifyResponse(answer(400), 4, NOW)).toMatchObject({
      outcome: 'permanent',
      split: true
    })
    expect(whisperr.classifyResponse(answer(202, '{"accepted":3,"rejected":1}'), 4, NOW)).toMatchObject({
      split: true
    })
    const single = whisperr.classifyResponse(answer(202, '{"accepted":0,"rejected":1}'), 1, NOW)
    expect(single).toMatchObject({ outcome: 'permanent' })
    expect(single).not.toHaveProperty('split')
  })
})
