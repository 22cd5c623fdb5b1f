import { describe, expect, it } from 'vitest'
import { userflux } from '../../src/main/connectors/userflux'
import type { AcceptedEvent, IngestOutcome, Problem } from '../../src/main/connectors/types'
import type { ClaimedEvent } from '../../src/main/store'

const NOW = Date.parse('2026-06-14T12:00:00.000Z')
const route = (path: string) => userflux.routes.find((r) => r.path === path)!
type Query = Record<string, string | undefined>
const accept = (path: string, body: unknown, query: Query = {}, idempotencyKey?: string) =>
  route(path).accept({ body, text: JSON.stringify(body), idempotencyKey, params: {}, query, now: NOW })
/** A request as the client wrote it: the text is what is stored, the value only validated. */
const acceptText = (path: string, text: string) =>
  route(path).accept({ body: JSON.parse(text), text, params: {}, query: {}, now: NOW })
const single = (body: unknown, query?: Query, idempotencyKey?: string) =>
  accept('/event/ingest', body, query, idempotencyKey)
const batch = (body: unknown, query?: Query, idempotencyKey?: string) =>
  accept('/event/ingest/batch', body, query, idempotencyKey)
const profile = (body: unknown, query?: Query, idempotencyKey?: string) =>
  accept('/profile', body, query, idempotencyKey)

function validEvent(overrides: Record<string, unknown> = {}) {
  return { userId: 'user-1', name: 'signup', timestamp: NOW, properties: { plan: 'pro' }, ...overrides }
}

function problems(outcome: IngestOutcome): Problem[] {
  if (outcome.ok) throw new Error('expected a rejection')
  expect(outcome.status).toBe(400)
  return outcome.problems
}

function accepted(outcome: IngestOutcome): AcceptedEvent[] {
  if (!outcome.ok) throw new Error(JSON.stringify(outcome.problems))
  return outcome.events
}

describe('UserFlux ingest: events', () => {
  it('accepts a valid event, keeps the payload byte for byte and answers 204 without a body', () => {
    const outcome = single(validEvent())
    expect(accepted(outcome)).toEqual([
      {
        messageId: expect.stringMatching(/^userflux_[0-9a-f]{32}$/),
        kind: 'track',
        name: 'signup',
        userKey: 'user-1',
        occurredAt: NOW,
        payload: JSON.stringify(validEvent()),
        upstreamParams: null
      }
    ])
    expect(outcome.ok && outcome.reply({ inserted: 1, duplicates: 0 })).toEqual({ status: 204 })
  })

  it('accepts what the contract allows: nested properties, arrays, nulls, the optional fields', () => {
    const full = validEvent({
      anonymousId: 'anon-1',
      externalId: 'ext-1',
      sessionId: 'sess-1',
      deviceData: { os: 'Android', screen: { w: 800 } },
      properties: { nested: { deep: [1, null, { a: true }] }, none: null, many: Array(500).fill(1) }
    })
    expect(accepted(single(full))).toHaveLength(1)
    const nulls = validEvent({ externalId: null, sessionId: null, deviceData: null, anonymousId: null })
    expect(accepted(single(nulls))).toHaveLength(1)
  })

  it('takes userId as the user key, else anonymousId (null counts as absent)', () => {
    expect(accepted(single(validEvent({ anonymousId: 'anon-1' })))[0]?.userKey).toBe('user-1')
    expect(accepted(single(validEvent({ userId: null, anonymousId: 'anon-1' })))[0]?.userKey).toBe('anon-1')
    expect(
      accepted(single({ ...validEvent({ anonymousId: 'anon-2' }), userId: undefined }))[0]?.userKey
    ).toBe('anon-2')
  })

  it.each([
    [{ userId: undefined }, 'userId', 'or anonymousId is required (null counts as absent)'],
    [{ userId: null, anonymousId: null }, 'userId', 'or anonymousId is required (null counts as absent)'],
    [{ userId: '' }, 'userId', 'must be at least 1 character long'],
    [{ anonymousId: 7 }, 'anonymousId', 'must be a string or null, got number'],
    [{ name: undefined }, 'name', 'is required'],
    [
      { name: 'sign up' },
      'name',
      'must be a non-empty name without spaces or other whitespace, e.g. "signup_completed"'
    ],
    [
      { name: 'sign\tup' },
      'name',
      'must be a non-empty name without spaces or other whitespace, e.g. "signup_completed"'
    ],
    [
      { name: '' },
      'name',
      'must be a non-empty name without spaces or other whitespace, e.g. "signup_completed"'
    ],
    [
      { name: 42 },
      'name',
      'must be a non-empty name without spaces or other whitespace, e.g. "signup_completed", got number'
    ],
    [{ timestamp: undefined }, 'timestamp', 'is required'],
    [
      { timestamp: '2026-06-14T12:00:00.000Z' },
      'timestamp',
      'must be epoch milliseconds as a JSON number, e.g. 1718366400000, got string'
    ],
    [{ timestamp: NOW + 0.5 }, 'timestamp', `must be a whole number of epoch milliseconds, got ${NOW + 0.5}`],
    [
      { timestamp: NOW / 1000 },
      'timestamp',
      `must be epoch milliseconds; ${NOW / 1000} looks like seconds (send ${NOW})`
    ],
    [
      { timestamp: NOW * 1000 },
      'timestamp',
      `must be epoch milliseconds; ${NOW * 1000} looks like microseconds (send ${NOW})`
    ],
    [
      { timestamp: 0 },
      'timestamp',
      'must be epoch milliseconds from 2000-01-01 (946684800000) up to 2100-01-01 (4102444800000), got 0'
    ],
    [
      { timestamp: Date.UTC(2100, 0, 1) },
      'timestamp',
      'must be epoch milliseconds from 2000-01-01 (946684800000) up to 2100-01-01 (4102444800000), got 4102444800000'
    ],
    [{ properties: undefined }, 'properties', 'is required'],
    [{ properties: [] }, 'properties', 'must be an object ({} when empty), got an array'],
    [{ properties: null }, 'properties', 'must be an object ({} when empty), got null'],
    [{ externalId: 5 }, 'externalId', 'must be a string or null, got number'],
    [{ sessionId: {} }, 'sessionId', 'must be a string or null, got object'],
    [{ deviceData: 'Android' }, 'deviceData', 'must be an object ({...}) or null, got string']
  ])('refuses %j: %s %s', (change, field, reason) => {
    expect(problems(single(validEvent(change)))).toEqual([{ field, reason }])
  })

  it('accepts the timestamp range edges, whatever the clock says', () => {
    expect(accepted(single(validEvent({ timestamp: Date.UTC(2000, 0, 1) })))).toHaveLength(1)
    expect(accepted(single(validEvent({ timestamp: Date.UTC(2100, 0, 1) - 1 })))).toHaveLength(1)
  })

  it('refuses a body that is not an object', () => {
    expect(problems(single([validEvent()]))).toEqual([
      { field: '', reason: 'must be an object ({...}), got an array' }
    ])
  })

  it('forwards unknown fields unchanged and names them in x-outpost-unknown-fields', () => {
    const outcome = single(validEvent({ colour: 'red', context: { library: 'x' } }))
    expect(accepted(outcome)[0]?.payload).toBe(
      JSON.stringify(validEvent({ colour: 'red', context: { library: 'x' } }))
    )
    expect(outcome.ok && outcome.reply({ inserted: 1, duplicates: 0 })).toEqual({
      status: 204,
      headers: { 'x-outpost-unknown-fields': 'colour, context' }
    })
  })
})

describe('UserFlux ingest: query', () => {
  it('keeps locationEnrichment in upstreamParams', () => {
    expect(accepted(single(validEvent(), { locationEnrichment: 'true' }))[0]?.upstreamParams).toBe(
      '{"locationEnrichment":"true"}'
    )
    expect(
      accepted(profile({ userId: 'u', properties: {} }, { locationEnrichment: 'false' }))[0]
    ).toMatchObject({
      upstreamParams: '{"locationEnrichment":"false"}'
    })
  })

  it.each([
    [{ locationEnrichment: 'yes' }, 'query.locationEnrichment', 'must be true or false, got "yes"'],
    [{ locationEnrichment: '' }, 'query.locationEnrichment', 'must be true or false, got ""'],
    [{ locationEnrichment: 'TRUE' }, 'query.locationEnrichment', 'must be true or false, got "TRUE"'],
    [
      { debug: '1' },
      'query.debug',
      'is not a query parameter of this API (only locationEnrichment=true|false)'
    ]
  ])('refuses the query %j on every route', (query, field, reason) => {
    expect(problems(single(validEvent(), query))).toEqual([{ field, reason }])
    expect(problems(batch({ events: [validEvent()] }, query))).toEqual([{ field, reason }])
    expect(problems(profile({ userId: 'u', properties: {} }, query))).toEqual([{ field, reason }])
  })

  it('refuses the parameter given twice (the query parser yields an array)', () => {
    const twice = { locationEnrichment: ['true', 'false'] as unknown as string }
    expect(problems(single(validEvent(), twice))).toEqual([
      { field: 'query.locationEnrichment', reason: 'must be true or false, got ["true","false"]' }
    ])
  })
})

describe('UserFlux ingest: batch', () => {
  it('accepts a batch as one track per event, all with the request query', () => {
    const events = accepted(
      batch(
        { events: [validEvent({ name: 'a' }), validEvent({ name: 'b' })] },
        { locationEnrichment: 'true' }
      )
    )
    expect(events.map((event) => [event.name, event.upstreamParams])).toEqual([
      ['a', '{"locationEnrichment":"true"}'],
      ['b', '{"locationEnrichment":"true"}']
    ])
  })

  it('refuses the whole batch when one event is bad, naming its index', () => {
    const body = { events: [validEvent(), validEvent({ name: 'bad name', timestamp: 'now' }), validEvent()] }
    expect(problems(batch(body))).toEqual([
      { index: 1, field: 'name', reason: expect.stringMatching(/without spaces/) },
      { index: 1, field: 'timestamp', reason: expect.stringMatching(/as a JSON number/) }
    ])
  })

  it.each([
    [{ events: [] }, 'events', 'must be an array of 1 or more events'],
    [{ events: validEvent() }, 'events', 'must be an array of 1 or more events, got object'],
    [{}, 'events', 'is required'],
    [
      { events: [validEvent()], sentAt: NOW },
      'sentAt',
      'is not a field of this API (unknown fields are rejected)'
    ],
    [[validEvent()], '', 'must be an object ({...}), got an array']
  ])('refuses the envelope %j', (body, field, reason) => {
    expect(problems(batch(body))).toEqual([{ field, reason }])
  })

  it('names each unknown event field once, as header-safe text, however many events carry it', () => {
    const many = Array.from({ length: 300 }, (_, n) => validEvent({ colour: 'red', [`x${n}`]: n }))
    const outcome = batch({ events: [validEvent({ 'naïve\nkey': 1 }), ...many] })
    const header =
      outcome.ok && outcome.reply({ inserted: 301, duplicates: 0 }).headers?.['x-outpost-unknown-fields']
    expect(header).toMatch(/^na%C3%AFve%0Akey, colour, x0, x1, x2, .*\.\.\.$/)
    expect((header as string).length).toBe(1003)
    expect(header).toMatch(/^[\x20-\x7e]+$/)
  })
})

describe('UserFlux ingest: profile', () => {
  const valid = { userId: 'user-1', anonymousId: 'anon-1', properties: { city: 'Sydney' }, deviceData: null }

  it('accepts a profile as an identify event answered with 204', () => {
    const outcome = profile(valid)
    expect(accepted(outcome)).toEqual([
      {
        messageId: expect.stringMatching(/^userflux_profile_[0-9a-f]{32}$/),
        kind: 'identify',
        name: 'profile',
        userKey: 'user-1',
        occurredAt: null,
        payload: JSON.stringify(valid),
        upstreamParams: null
      }
    ])
    expect(outcome.ok && outcome.reply({ inserted: 1, duplicates: 0 })).toEqual({ status: 204 })
  })

  it.each([
    [{ properties: {} }, 'userId', 'or anonymousId is required (null counts as absent)'],
    [
      { userId: null, anonymousId: null, properties: {} },
      'userId',
      'or anonymousId is required (null counts as absent)'
    ],
    [{ userId: 'u' }, 'properties', 'is required'],
    [
      { userId: 'u', properties: 'city=Sydney' },
      'properties',
      'must be an object ({} when empty), got string'
    ],
    [
      { userId: 'u', properties: {}, deviceData: [] },
      'deviceData',
      'must be an object ({...}) or null, got an array'
    ],
    [[valid], '', 'must be an object ({...}), got an array']
  ])('refuses %j', (body, field, reason) => {
    expect(problems(profile(body))).toEqual([{ field, reason }])
  })
})

describe("UserFlux ingest: the client's own text", () => {
  it('stores each event of a batch as its own text, numbers digit for digit', () => {
    const first = `{"userId":"u1","name":"a","timestamp":${NOW},"properties":{"id":12345678901234567890}}`
    const second = `{ "userId": "u2", "name": "b", "timestamp": 1781438400000.000,
      "properties": { "price": 1.0, "big": 1e3, "zero": -0 } }`
    const events = accepted(acceptText('/event/ingest/batch', `{ "events": [${first},\n  ${second} ] }`))
    expect(events.map((event) => event.payload)).toEqual([first, second])
  })

  it('stores a single event as the trimmed text of the body', () => {
    const text = `{"userId":"u1","name":"a","timestamp":${NOW},"properties":{"price":10.50}}`
    expect(accepted(acceptText('/event/ingest', `\n ${text} \n`))[0]?.payload).toBe(text)
  })

  it('judges the timestamp on its digits as sent, not on the nearest double', () => {
    const text = `{"userId":"u1","name":"a","timestamp":${NOW}.00001,"properties":{}}`
    expect(problems(acceptText('/event/ingest', text))).toEqual([
      { field: 'timestamp', reason: `must be a whole number of epoch milliseconds, got ${NOW}.00001` }
    ])
    expect(accepted(acceptText('/event/ingest', text.replace(`${NOW}.00001`, '1.7814384e12')))).toHaveLength(
      1
    )
  })
})

describe('UserFlux message ids', () => {
  const idsOf = (outcome: IngestOutcome) => accepted(outcome).map((event) => event.messageId)

  it('are new for every call without an Idempotency-Key, however equal the calls', () => {
    const ids = [
      ...idsOf(single(validEvent())),
      ...idsOf(single(validEvent())),
      ...idsOf(batch({ events: [validEvent(), validEvent()] }))
    ]
    expect(ids).toEqual(Array(4).fill(expect.stringMatching(/^userflux_[0-9a-f]{32}$/)))
    expect(new Set(ids).size).toBe(4)
    const profiles = [
      ...idsOf(profile({ userId: 'u', properties: {} })),
      ...idsOf(profile({ userId: 'u', properties: {} }))
    ]
    expect(profiles).toEqual(Array(2).fill(expect.stringMatching(/^userflux_profile_[0-9a-f]{32}$/)))
    expect(profiles[0]).not.toBe(profiles[1])
  })

  it('come from the Idempotency-Key, index by index, the same on a retry', () => {
    const body = { events: [validEvent({ name: 'a' }), validEvent({ name: 'b' }), validEvent({ name: 'a' })] }
    const keyed = accepted(batch(body, {}, 'req-1'))
    expect(keyed.map((event) => [event.messageId, event.keyedByRequest])).toEqual([
      ['userflux_key_req-1#0', true],
      ['userflux_key_req-1#1', true],
      ['userflux_key_req-1#2', true]
    ])
    expect(idsOf(batch(body, {}, 'req-1'))).toEqual(keyed.map((event) => event.messageId))
    expect(idsOf(single(validEvent(), {}, 'req-2'))).toEqual(['userflux_key_req-2#0'])
    expect(idsOf(profile({ userId: 'u', properties: {} }, {}, 'req-3'))).toEqual([
      'userflux_profile_key_req-3#0'
    ])
  })
})

describe('UserFlux delivery', () => {
  const claimed = (
    kind: 'track' | 'identify',
    id: number,
    upstreamParams: string | null = null
  ): ClaimedEvent => ({
    id,
    messageId: `m${id}`,
    kind,
    payload: JSON.stringify({ n: id }),
    upstreamParams,
    name: 'fixture_event',
    attempts: 0
  })

  it('reads the client key from Authorization: Bearer only', () => {
    expect(userflux.clientKey({ authorization: 'Bearer k-1' })).toBe('k-1')
    expect(userflux.clientKey({ authorization: 'bearer k-1' })).toBe('k-1')
    expect(userflux.clientKey({ authorization: 'k-1' })).toBeUndefined()
    expect(userflux.clientKey({ 'x-api-key': 'k-1' })).toBeUndefined()
  })

  it('batches up to 10 tracks by default; profiles go alone', () => {
    expect(userflux.batchLimit('track')).toBe(10)
    expect(userflux.batchLimit('identify')).toBe(1)
  })

  it('sends tracks to /event/ingest/batch with the Bearer key and the payloads verbatim', () => {
    expect(userflux.buildRequest([claimed('track', 1), claimed('track', 2)], { apiKey: 'k1' })).toEqual({
      path: '/event/ingest/batch',
      headers: { 'content-type': 'application/json', authorization: 'Bearer k1' },
      body: '{"events":[{"n":1},{"n":2}]}'
    })
  })

  it('passes locationEnrichment on as the query', () => {
    const params = '{"locationEnrichment":"false"}'
    expect(userflux.buildRequest([claimed('track', 1, params)], { apiKey: 'k1' }).path).toBe(
      '/event/ingest/batch?locationEnrichment=false'
    )
    expect(userflux.buildRequest([claimed('identify', 3, params)], { apiKey: 'k1' })).toEqual({
      path: '/profile?locationEnrichment=false',
      headers: { 'content-type': 'application/json', authorization: 'Bearer k1' },
      body: '{"n":3}'
    })
  })

  const answer = (status: number, body = '', headers: Record<string, string> = {}) => ({
    status,
    body,
    headers
  })
  const classify = (status: number, batchSize = 3, headers: Record<string, string> = {}, body = '') =>
    userflux.classifyResponse(answer(status, body, headers), batchSize, NOW)

  it.each([
    [204, 3, {}, { outcome: 'ok', reason: 'accepted (204)' }],
    [
      200,
      3,
      {},
      {
        outcome: 'permanent',
        reason: expect.stringMatching(/^UserFlux answered 200 instead of 204: not counted as delivered/)
      }
    ],
    [202, 1, {}, { outcome: 'permanent', reason: expect.stringMatching(/instead of 204/) }],
    [401, 3, {}, { outcome: 'auth', reason: expect.stringMatching(/^UserFlux refused the API key \(401\)/) }],
    [403, 1, {}, { outcome: 'auth' }],
    [
      400,
      3,
      {},
      {
        outcome: 'permanent',
        split: true,
        reason: 'UserFlux refused the batch of 3 (400); resending in halves'
      }
    ],
    [413, 2, {}, { outcome: 'permanent', split: true }],
    [422, 10, {}, { outcome: 'permanent', split: true }],
    [400, 1, {}, { outcome: 'permanent', reason: 'UserFlux refused the request (400)' }],
    [413, 1, {}, { outcome: 'permanent', reason: 'UserFlux refused the request (413)' }],
    [404, 3, {}, { outcome: 'permanent', reason: 'UserFlux refused the request (404)' }],
    [500, 3, {}, { outcome: 'retry', reason: 'UserFlux answered 500', retryAfterMs: undefined }],
    [502, 3, { 'retry-after': '5' }, { outcome: 'retry', retryAfterMs: undefined }],
    [503, 3, { 'retry-after': '5' }, { outcome: 'retry', retryAfterMs: 5000 }],
    [429, 3, { 'retry-after': '7' }, { outcome: 'retry', retryAfterMs: 7000 }],
    [429, 3, { 'retry-after': '600' }, { outcome: 'retry', retryAfterMs: 60_000 }],
    [
      429,
      3,
      { 'retry-after': new Date(NOW + 20_000).toUTCString() },
      { outcome: 'retry', retryAfterMs: 20_000 }
    ]
  ])('classifies %i on a batch of %i (%j)', (status, batchSize, headers, verdict) => {
    const result = classify(status, batchSize, headers)
    expect(result).toMatchObject(verdict)
    if (!('split' in verdict)) expect(result).not.toHaveProperty('split')
  })

  it('quotes the upstream body in the reason', () => {
    expect(classify(400, 1, {}, '{"error":"bad name"}').reason).toBe(
      'UserFlux refused the request (400: {"error":"bad name"})'
    )
  })
})
