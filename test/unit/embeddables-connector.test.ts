import { describe, expect, it } from 'vitest'
import { embeddables } from '../../src/main/connectors/embeddables'
import type { IngestOutcome, Problem } from '../../src/main/connectors/types'

const NOW = Date.parse('2026-06-14T12:00:00.000Z')
const [route] = embeddables.routes
const accept = (body: unknown, projectId = 'proj_1', idempotencyKey?: string) =>
  route!.accept({
    body,
    text: JSON.stringify(body),
    idempotencyKey,
    params: { projectId },
    query: {},
    now: NOW
  })

function validEvent(overrides: Record<string, unknown> = {}) {
  return {
    embeddable_id: 'flow_abc123',
    timestamp: '2026-06-14T11:59:00.000Z',
    custom_event_name: 'quiz_completed',
    custom_event_props: '{"my_prop": "my_val"}',
    identifiers: [{ key: 'email', value: '"test@test.com"' }],
    ...overrides
  }
}

function accepted(outcome: IngestOutcome) {
  if (!outcome.ok) throw new Error(`expected acceptance, got ${JSON.stringify(outcome.problems)}`)
  return outcome
}

function problems(outcome: IngestOutcome): Problem[] {
  if (outcome.ok) throw new Error('expected a rejection')
  expect(outcome.status).toBe(400)
  return outcome.problems
}

describe('Embeddables ingest', () => {
  it('serves the vendor path and reads the client key from X-Api-Key', () => {
    expect(embeddables.routes.map((r) => r.path)).toEqual(['/projects/:projectId/events'])
    expect(embeddables.clientKey({ 'x-api-key': 'rk_live_1' })).toBe('rk_live_1')
    expect(embeddables.clientKey({ authorization: 'Bearer rk_live_1' })).toBeUndefined()
  })

  it('stores a valid event as sent, with its project id, time, name and identifier as user key', () => {
    const outcome = accepted(accept(validEvent()))
    expect(outcome.events).toEqual([
      {
        messageId: expect.stringMatching(/^embeddables_[0-9a-f]{32}$/),
        kind: 'track',
        name: 'quiz_completed',
        userKey: 'test@test.com',
        occurredAt: Date.parse('2026-06-14T11:59:00.000Z'),
        payload: JSON.stringify(validEvent()),
        upstreamParams: '{"projectId":"proj_1"}'
      }
    ])
  })

  it('answers 200 describing the stored event, like Embeddables', () => {
    const outcome = accepted(accept(validEvent()))
    expect(outcome.reply({ inserted: 1, duplicates: 0 })).toEqual({
      status: 200,
      body: {
        id: outcome.events[0]?.messageId,
        event_type: 'custom_event:triggered',
        project_id: 'proj_1',
        embeddable_id: 'flow_abc123',
        custom_event_name: 'quiz_completed',
        timestamp: '2026-06-14T11:59:00.000Z'
      }
    })
  })

  it('stores the body as the client wrote it, trimmed', () => {
    const text = JSON.stringify(validEvent(), null, 2)
    const outcome = accepted(
      route!.accept({
        body: validEvent(),
        text: `\n${text}\n`,
        params: { projectId: 'proj_1' },
        query: {},
        now: NOW
      })
    )
    expect(outcome.events[0]?.payload).toBe(text)
  })

  it('gives two equal requests two message ids, each named in its own answer', () => {
    const [first, second] = [accept(validEvent()), accept(validEvent())].map(accepted)
    const ids = [first, second].map((outcome) => outcome!.events[0]?.messageId)
    expect(ids).toEqual(Array(2).fill(expect.stringMatching(/^embeddables_[0-9a-f]{32}$/)))
    expect(ids[0]).not.toBe(ids[1])
    expect(second!.reply({ inserted: 1, duplicates: 0 }).body).toMatchObject({ id: ids[1] })
  })

  it('gives a request with an Idempotency-Key the id made from it, the same on a retry', () => {
    const keyed = accepted(accept(validEvent(), 'proj_1', 'req-1')).events[0]
    expect(keyed).toMatchObject({ messageId: 'embeddables_key_req-1#0', keyedByRequest: true })
    expect(accepted(accept(validEvent(), 'proj_1', 'req-1')).events[0]?.messageId).toBe(keyed?.messageId)
  })

  it.each(['embeddable_id', 'timestamp', 'custom_event_name', 'custom_event_props', 'identifiers'])(
    'requires %s',
    (field) => {
      expect(problems(accept(validEvent({ [field]: undefined })))).toEqual([{ field, reason: 'is required' }])
    }
  )

  it('refuses fields outside the documented body, and in the identifier', () => {
    expect(problems(accept(validEvent({ custom_event_properties: '{}' })))).toEqual([
      {
        field: 'custom_event_properties',
        reason: 'is not a field of this API (unknown fields are rejected)'
      }
    ])
    expect(
      problems(accept(validEvent({ identifiers: [{ key: 'email', value: '"a@b.c"', type: 'x' }] })))
    ).toEqual([
      { field: 'identifiers.0.type', reason: 'is not a field of this API (unknown fields are rejected)' }
    ])
  })

  it('refuses a body that is not an object', () => {
    expect(problems(accept([validEvent()]))).toEqual([
      { field: '', reason: 'must be an object ({...}), got an array' }
    ])
  })

  it('refuses an empty embeddable_id and a missing project id', () => {
    expect(problems(accept(validEvent({ embeddable_id: '' })))).toEqual([
      { field: 'embeddable_id', reason: 'must be at least 1 character long' }
    ])
    expect(problems(accept(validEvent(), ''))).toEqual([
      { field: 'projectId', reason: 'the project id in the path /projects/{projectId}/events is missing' }
    ])
  })

  it.each([['Quiz Completed'], ['quizCompleted'], ['quiz__completed'], ['_quiz'], ['quiz-completed']])(
    'refuses custom_event_name %j as not snake_case',
    (name) => {
      expect(problems(accept(validEvent({ custom_event_name: name })))).toEqual([
        {
          field: 'custom_event_name',
          reason:
            'must be snake_case: lowercase letters and digits in words joined by single underscores, e.g. "trial_started"'
        }
      ])
    }
  )

  it.each([
    ['2026-06-14T12:00:00Z'],
    ['2026-06-14T12:00:00.123456Z'],
    ['2026-06-14T14:00:00+02:00'],
    ['2026-06-14T06:30:00.5-05:30'],
    ['2024-02-29T00:00:00Z']
  ])('accepts timestamp %s', (timestamp) => {
    const outcome = accepted(accept(validEvent({ timestamp })))
    expect(outcome.events[0]?.occurredAt).toBe(Date.parse(timestamp))
  })

  it.each([
    ['2026-06-14'],
    ['2026-06-14T12:00:00'],
    ['2026-06-14 12:00:00Z'],
    ['2026-06-14T12:00Z'],
    ['20260614T120000Z'],
    ['2026-02-30T12:00:00Z'],
    ['2025-02-29T12:00:00Z'],
    ['2026-06-14T24:00:00Z'],
    ['2026-06-14T12:60:00Z'],
    ['2026-06-14T12:00:00+25:00'],
    ['yesterday']
  ])('refuses timestamp %s', (timestamp) => {
    expect(problems(accept(validEvent({ timestamp })))).toEqual([
      {
        field: 'timestamp',
        reason: `must be an ISO 8601 date-time with seconds and a time zone, e.g. "2026-06-14T12:00:00.000Z" or "2026-06-14T14:00:00+02:00"; got ${JSON.stringify(timestamp)}`
      }
    ])
  })

  it('refuses a timestamp that is not a string', () => {
    expect(problems(accept(validEvent({ timestamp: NOW })))).toEqual([
      { field: 'timestamp', reason: 'must be a string, got number' }
    ])
  })

  it('refuses custom_event_props that is not a string holding a JSON object', () => {
    expect(problems(accept(validEvent({ custom_event_props: { my_prop: 'my_val' } })))).toEqual([
      {
        field: 'custom_event_props',
        reason:
          'must be a string holding a JSON object, e.g. "{\\"my_prop\\": \\"my_val\\"}" (encode the object with JSON.stringify), got object'
      }
    ])
    expect(problems(accept(validEvent({ custom_event_props: '{my_prop: 1}' })))).toEqual([
      {
        field: 'custom_event_props',
        reason: 'must hold valid JSON, e.g. "{\\"my_prop\\": \\"my_val\\"}"; "{my_prop: 1}" is not JSON'
      }
    ])
    expect(problems(accept(validEvent({ custom_event_props: '[1,2]' })))).toEqual([
      { field: 'custom_event_props', reason: 'must hold a JSON object ({...}), got an array' }
    ])
    expect(problems(accept(validEvent({ custom_event_props: 'null' })))).toEqual([
      { field: 'custom_event_props', reason: 'must hold a JSON object ({...}), got null' }
    ])
    expect(accept(validEvent({ custom_event_props: '{}' })).ok).toBe(true)
  })

  it('refuses identifiers that are not exactly one {key, value}', () => {
    const exactlyOne = 'must be an array holding exactly one {"key", "value"} identifier'
    expect(problems(accept(validEvent({ identifiers: [] })))).toEqual([
      { field: 'identifiers', reason: exactlyOne }
    ])
    const two = [
      { key: 'email', value: '"a@b.c"' },
      { key: 'phone', value: '"123"' }
    ]
    expect(problems(accept(validEvent({ identifiers: two })))).toEqual([
      { field: 'identifiers', reason: exactlyOne }
    ])
    expect(problems(accept(validEvent({ identifiers: { key: 'email', value: '"a@b.c"' } })))).toEqual([
      { field: 'identifiers', reason: `${exactlyOne}, got object` }
    ])
    expect(problems(accept(validEvent({ identifiers: [{ value: '"a@b.c"' }] })))).toEqual([
      { field: 'identifiers.0.key', reason: 'is required' }
    ])
    expect(problems(accept(validEvent({ identifiers: [{ key: '', value: '"a@b.c"' }] })))).toEqual([
      { field: 'identifiers.0.key', reason: 'must be at least 1 character long' }
    ])
  })

  it('refuses an identifier value that is not a JSON-encoded string or number', () => {
    const valueProblem = (value: unknown) =>
      problems(accept(validEvent({ identifiers: [{ key: 'email', value }] })))
    expect(valueProblem('test@test.com')).toEqual([
      {
        field: 'identifiers.0.value',
        reason: 'must be JSON-encoded, quotes included: for the text test@test.com send "\\"test@test.com\\""'
      }
    ])
    expect(valueProblem(42)).toEqual([
      {
        field: 'identifiers.0.value',
        reason:
          'must be a string holding a JSON-encoded value, e.g. "\\"test@test.com\\"" (quotes included), got number'
      }
    ])
    expect(valueProblem('""')).toEqual([
      { field: 'identifiers.0.value', reason: 'encodes an empty string, which names no entry' }
    ])
    for (const [value, kind] of [
      ['null', 'null'],
      ['true', 'true or false'],
      ['{"a":1}', 'an object'],
      ['["a"]', 'an array']
    ]) {
      expect(valueProblem(value)).toEqual([
        {
          field: 'identifiers.0.value',
          reason: `must encode a string or a number that names an entry, got ${kind}`
        }
      ])
    }
  })

  it('accepts a numeric identifier and uses it as the user key', () => {
    const outcome = accepted(accept(validEvent({ identifiers: [{ key: 'user_id', value: '1234' }] })))
    expect(outcome.events[0]?.userKey).toBe('1234')
  })

  it('lists every problem of a request at once', () => {
    const outcome = accept(
      validEvent({
        timestamp: 'now',
        custom_event_name: 'Bad Name',
        custom_event_props: '{',
        embeddable_id: 7
      })
    )
    expect(
      problems(outcome)
        .map((problem) => problem.field)
        .sort()
    ).toEqual(['custom_event_name', 'custom_event_props', 'embeddable_id', 'timestamp'])
  })
})

describe('Embeddables delivery', () => {
  const claimed = (projectId: string | null, payload = '{"n":1}') => ({
    id: 1,
    messageId: 'embeddables_1',
    kind: 'track' as const,
    payload,
    upstreamParams: projectId === null ? null : JSON.stringify({ projectId }),
    name: 'fixture_event',
    attempts: 0
  })

  it('sends one event per request to its project, with the key in X-Api-Key and the body as sent', () => {
    expect(embeddables.batchLimit('track')).toBe(1)
    expect(embeddables.buildRequest([claimed('proj_1', '{"a":"b"}')], { apiKey: 'rk_live_1' })).toEqual({
      path: '/projects/proj_1/events',
      headers: { 'content-type': 'application/json', 'x-api-key': 'rk_live_1' },
      body: '{"a":"b"}'
    })
  })

  it('encodes the project id as one path segment', () => {
    expect(embeddables.buildRequest([claimed('a/b c')], { apiKey: 'rk_1' }).path).toBe(
      '/projects/a%2Fb%20c/events'
    )
  })

  it('refuses to build a request for an event stored without its project id', () => {
    expect(() => embeddables.buildRequest([claimed(null)], { apiKey: 'rk_1' })).toThrow(
      /without its projectId/
    )
  })

  const answer = (status: number, body = '', headers: Record<string, string> = {}) => ({
    status,
    body,
    headers
  })
  const classify = (status: number, body?: string, headers?: Record<string, string>) =>
    embeddables.classifyResponse(answer(status, body, headers), 1, NOW)

  it('classifies answers by the Embeddables rules', () => {
    expect(classify(200, '{"event_type":"custom_event:triggered"}').outcome).toBe('ok')
    expect(classify(201).outcome).toBe('ok')
    expect(classify(401)).toMatchObject({
      outcome: 'auth',
      reason: expect.stringMatching(/^Embeddables refused the API key \(401\)/)
    })
    expect(classify(403).outcome).toBe('auth')
    expect(classify(500)).toEqual({
      outcome: 'retry',
      reason: 'Embeddables answered 500',
      retryAfterMs: undefined
    })
    expect(classify(502, '', { 'retry-after': '5' })).toMatchObject({
      outcome: 'retry',
      retryAfterMs: undefined
    })
    expect(classify(429, '', { 'retry-after': '7' })).toMatchObject({ outcome: 'retry', retryAfterMs: 7000 })
    expect(classify(503, '', { 'retry-after': '600' })).toMatchObject({
      outcome: 'retry',
      retryAfterMs: 60_000
    })
    const date = new Date(NOW + 20_000).toUTCString()
    expect(classify(429, '', { 'retry-after': date })).toMatchObject({ retryAfterMs: 20_000 })
    expect(classify(400, '{"error":"bad"}')).toEqual({
      outcome: 'permanent',
      reason: 'Embeddables refused the request (400: {"error":"bad"})'
    })
    expect(classify(422).outcome).toBe('permanent')
  })

  it('says in words that a 404 ENTRY_NOT_FOUND means no entry matches the identifier', () => {
    expect(classify(404, '{"error":"ENTRY_NOT_FOUND","message":"Entry not found"}')).toEqual({
      outcome: 'permanent',
      reason:
        "Embeddables found no entry matching the event's identifier (404 ENTRY_NOT_FOUND): resending cannot help until identifiers[0] names an existing entry"
    })
    expect(classify(404, 'ENTRY_NOT_FOUND').outcome).toBe('permanent')
  })

  it('points a 404 without ENTRY_NOT_FOUND at the project id and base URL', () => {
    expect(classify(404, 'Cannot POST /projectz/p/events')).toEqual({
      outcome: 'permanent',
      reason:
        'Embeddables answered 404 without ENTRY_NOT_FOUND (404: Cannot POST /projectz/p/events): check the project id and the base URL'
    })
    expect(classify(404, '{"error":"NOT_ENTRY_NOT_FOUNDS"}').reason).toMatch(/without ENTRY_NOT_FOUND/)
  })
})
