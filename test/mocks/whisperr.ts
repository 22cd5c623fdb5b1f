/**
 * A strict mock of the Whisperr upstream API (contract: shared/vendors/README.md, "Whisperr").
 *
 * Strict on purpose: whatever the contract rejects, this mock rejects, so a connector that passes
 * against it does not fail against the real server. Where the contract is silent, the mock takes
 * the stricter reading (listed below), because a sender that satisfies the strict reading also
 * satisfies the lenient one.
 *
 * Request pipeline, in this order (the first failing step answers):
 *   unknown path -> 404 · method other than POST -> 405 (`Allow: POST`) · bad or missing key -> 401 ·
 *   Content-Type not application/json -> 415 · body not JSON -> 400 · body shape / validation -> 400
 *   (or 202 with `rejected` > 0 for a batch in 'partial' mode).
 *
 * Choices where the contract is silent ("Unknown"):
 * - `properties` is optional; when present it must be a plain object (`[]`, `null` rejected).
 *   `requireProperties: true` makes it mandatory, for tests that want the strictest server.
 * - `external_user_id` / `anonymous_id`, when present, must be strings of 1..128 characters;
 *   `null` counts as present and is rejected.
 * - `context` may hold other keys besides `$message_id` (the contract lists no others, forbids none).
 * - The time window is inclusive: exactly now+5 min and exactly now−30 days are accepted.
 * - A wrong Content-Type answers 415; error bodies are `{error, message, problems}`, an invented
 *   shape (the real one is unknown), so senders must classify by status only.
 * - `preferred_channel`, when present, must be one of email|sms|push, like `channels[].channel`.
 * - Identify has no idempotency key in the contract, so identifies are never deduplicated.
 * - A duplicate `$message_id` is answered like a new event (counted in `accepted`): the real
 *   server deduplicates silently; the mock counts it in `deliveries` so tests can see it.
 */
import {
  startMockUpstream,
  waitUntil,
  DEFAULT_WAIT_MS,
  type MockResponse,
  type MockUpstream,
  type RecordedRequest
} from './mock-upstream'
import {
  describeType,
  isPlainObject,
  requestRefusal,
  requestUrl,
  unknownFieldProblems,
  type RequestGate
} from './json-contract'

export const WHISPERR_MAX_BATCH = 500
export const WHISPERR_MAX_ID_LENGTH = 128
export const WHISPERR_FUTURE_WINDOW_MS = 5 * 60 * 1000
export const WHISPERR_PAST_WINDOW_MS = 30 * 24 * 60 * 60 * 1000
export const WHISPERR_EVENT_TYPE = /^[a-z0-9]+(?:_[a-z0-9]+)*$/
export const WHISPERR_OCCURRED_AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/
export const WHISPERR_CHANNELS = ['email', 'sms', 'push'] as const

const EVENT_FIELDS = [
  'external_user_id',
  'anonymous_id',
  'event_type',
  'occurred_at',
  'properties',
  'context'
]
const IDENTIFY_FIELDS = ['external_user_id', 'anonymous_id', 'traits', 'preferred_channel', 'channels']
const CHANNEL_FIELDS = ['channel', 'address', 'opted_in', 'verified']
const BATCH_FIELDS = ['events']

export type WhisperrChannelName = (typeof WHISPERR_CHANNELS)[number]

export interface WhisperrEvent {
  external_user_id?: string
  anonymous_id?: string
  event_type: string
  occurred_at: string
  properties?: Record<string, unknown>
  context: { $message_id: string } & Record<string, unknown>
}

export interface WhisperrChannel {
  channel: WhisperrChannelName
  address: string
  opted_in?: boolean
  verified?: boolean
}

export interface WhisperrIdentify {
  external_user_id?: string
  anonymous_id?: string
  traits?: Record<string, unknown>
  preferred_channel?: WhisperrChannelName
  channels?: WhisperrChannel[]
}

/** Which is older: 'strict-batch' servers refuse a whole batch (400) when one event is bad. */
export type WhisperrMode = 'partial' | 'strict-batch'

export type WhisperrEndpoint = '/v1/events/track' | '/v1/events/batch' | '/v1/identify'

/** One reason a request or event was refused; `index` is the event's position in a batch. */
export interface WhisperrProblem {
  index?: number
  field: string
  reason: string
}

/** One accepted item, in the order the mock accepted it. */
export type WhisperrLogEntry =
  | {
      kind: 'track'
      messageId: string
      /** `external_user_id` when present (it wins), else `anonymous_id`. */
      userKey: string
      eventType: string
      occurredAt: string
      endpoint: '/v1/events/track' | '/v1/events/batch'
      /** True when this `$message_id` had already been accepted: the server dropped it. */
      duplicate: boolean
      acceptedAt: number
    }
  | {
      kind: 'identify'
      messageId?: undefined
      userKey: string
      endpoint: '/v1/identify'
      acceptedAt: number
    }

/** A refused request (4xx answered by the contract logic) or event (rejected inside a batch). */
export interface WhisperrRejection {
  path: string
  status: number
  problems: WhisperrProblem[]
}

export interface MockWhisperrOptions {
  apiKey: string
  /** Clock for the occurred_at window; default Date.now. */
  now?: () => number
  /** Default 'partial' (the newer server). */
  mode?: WhisperrMode
  /** Make `properties` mandatory on events (the contract is ambiguous); default false. */
  requireProperties?: boolean
}

export interface MockWhisperr extends MockUpstream {
  readonly apiKey: string
  /** Server behaviour for batches with bad events; may be switched mid-test. */
  mode: WhisperrMode
  /** First accepted copy of each event, by `context.$message_id`, in acceptance order. */
  readonly received: ReadonlyMap<string, WhisperrEvent>
  /** How many times each `$message_id` was POSTed and accepted; "exactly once" = every count is 1. */
  readonly deliveries: ReadonlyMap<string, number>
  /** Every accepted identify body, in order (never deduplicated). */
  readonly identifies: readonly WhisperrIdentify[]
  /** Every accepted track event and identify, in acceptance order (duplicates flagged). */
  readonly log: readonly WhisperrLogEntry[]
  /** Every refusal, for debugging a failing test. */
  readonly rejections: readonly WhisperrRejection[]
  /** `$message_id`s accepted more than once. */
  duplicateMessageIds(): string[]
  /** Resolve once at least `count` distinct events were received. */
  waitForEvents(count: number, timeoutMs?: number): Promise<void>
  /** Forget received data, requests, rejections and faults (the server keeps its port and mode). */
  reset(): void
}

// ---------------------------------------------------------------------------------------------
// Validation: pure functions returning every problem found, so error bodies list them all.
// ---------------------------------------------------------------------------------------------

function userIdProblems(value: Record<string, unknown>): WhisperrProblem[] {
  const present = ['external_user_id', 'anonymous_id'].filter((field) => field in value)
  if (present.length === 0) {
    return [{ field: 'external_user_id', reason: 'external_user_id or anonymous_id is required' }]
  }
  return present.flatMap((field) => {
    const id = value[field]
    if (typeof id !== 'string') return [{ field, reason: `must be a string, got ${describeType(id)}` }]
    // Characters, not UTF-16 units: an emoji is one character.
    const length = [...id].length
    if (length < 1 || length > WHISPERR_MAX_ID_LENGTH) {
      return [{ field, reason: `must be 1..${WHISPERR_MAX_ID_LENGTH} characters, got ${length}` }]
    }
    return []
  })
}

function eventTypeProblems(value: unknown): WhisperrProblem[] {
  if (typeof value !== 'string')
    return [{ field: 'event_type', reason: `is required as a string, got ${describeType(value)}` }]
  if (!WHISPERR_EVENT_TYPE.test(value)) {
    return [
      { field: 'event_type', reason: `"${value}" must be snake_case matching ${WHISPERR_EVENT_TYPE.source}` }
    ]
  }
  return []
}

/** Exact format, a real calendar date (2026-06-31 is refused), and the acceptance window. */
export function occurredAtProblems(value: unknown, nowMs: number): WhisperrProblem[] {
  const field = 'occurred_at'
  const format = 'must be RFC 3339 UTC with milliseconds and Z, e.g. "2026-06-14T12:00:00.000Z"'
  if (typeof value !== 'string') return [{ field, reason: `${format}; got ${describeType(value)}` }]
  const parsed = Date.parse(value)
  // Date.parse rolls 2026-06-31 over to July 1st; the round trip catches impossible dates.
  if (!WHISPERR_OCCURRED_AT.test(value) || Number.isNaN(parsed) || new Date(parsed).toISOString() !== value) {
    return [{ field, reason: `${format}; got "${value}"` }]
  }
  if (parsed > nowMs + WHISPERR_FUTURE_WINDOW_MS || parsed < nowMs - WHISPERR_PAST_WINDOW_MS) {
    const now = new Date(nowMs).toISOString()
    return [
      { field, reason: `timestamp_out_of_window: "${value}" is not within +5 minutes / -30 days of ${now}` }
    ]
  }
  return []
}

function propertiesProblems(event: Record<string, unknown>, required: boolean): WhisperrProblem[] {
  if (!('properties' in event))
    return required ? [{ field: 'properties', reason: 'is required ({} when empty)' }] : []
  if (isPlainObject(event.properties)) return []
  return [
    {
      field: 'properties',
      reason: `must be an object ({} when empty), got ${describeType(event.properties)}`
    }
  ]
}

function contextProblems(value: unknown): WhisperrProblem[] {
  if (!isPlainObject(value))
    return [{ field: 'context', reason: `is required as an object, got ${describeType(value)}` }]
  const messageId = value.$message_id
  if (typeof messageId !== 'string' || messageId.length === 0) {
    return [
      { field: 'context.$message_id', reason: 'is required as a non-empty string (the idempotency key)' }
    ]
  }
  return []
}

export interface EventRules {
  requireProperties?: boolean
}

/** Every problem with one event object; empty when the contract accepts it at `nowMs`. */
export function validateWhisperrEvent(
  value: unknown,
  nowMs: number,
  rules: EventRules = {}
): WhisperrProblem[] {
  if (!isPlainObject(value))
    return [{ field: 'event', reason: `must be an object, got ${describeType(value)}` }]
  return [
    ...unknownFieldProblems(value, EVENT_FIELDS),
    ...userIdProblems(value),
    ...eventTypeProblems(value.event_type),
    ...occurredAtProblems(value.occurred_at, nowMs),
    ...propertiesProblems(value, rules.requireProperties ?? false),
    ...contextProblems(value.context)
  ]
}

function isChannelName(value: unknown): value is WhisperrChannelName {
  return (WHISPERR_CHANNELS as readonly unknown[]).includes(value)
}

function optionalBooleanProblems(
  channel: Record<string, unknown>,
  field: string,
  prefix: string
): WhisperrProblem[] {
  if (!(field in channel) || typeof channel[field] === 'boolean') return []
  return [{ field: `${prefix}${field}`, reason: `must be a boolean, got ${describeType(channel[field])}` }]
}

function channelProblems(channel: unknown, position: number): WhisperrProblem[] {
  const prefix = `channels[${position}].`
  if (!isPlainObject(channel))
    return [{ field: `channels[${position}]`, reason: `must be an object, got ${describeType(channel)}` }]
  const problems = unknownFieldProblems(channel, CHANNEL_FIELDS, prefix)
  if (!isChannelName(channel.channel)) {
    problems.push({ field: `${prefix}channel`, reason: `must be one of ${WHISPERR_CHANNELS.join(', ')}` })
  }
  if (typeof channel.address !== 'string' || channel.address.length === 0) {
    problems.push({ field: `${prefix}address`, reason: 'is required as a non-empty string' })
  }
  return [
    ...problems,
    ...optionalBooleanProblems(channel, 'opted_in', prefix),
    ...optionalBooleanProblems(channel, 'verified', prefix)
  ]
}

function identifyOptionalProblems(value: Record<string, unknown>): WhisperrProblem[] {
  const problems: WhisperrProblem[] = []
  if ('traits' in value && !isPlainObject(value.traits)) {
    problems.push({ field: 'traits', reason: `must be an object, got ${describeType(value.traits)}` })
  }
  if ('preferred_channel' in value && !isChannelName(value.preferred_channel)) {
    problems.push({ field: 'preferred_channel', reason: `must be one of ${WHISPERR_CHANNELS.join(', ')}` })
  }
  if ('channels' in value) {
    if (!Array.isArray(value.channels)) {
      problems.push({ field: 'channels', reason: `must be an array, got ${describeType(value.channels)}` })
    } else {
      value.channels.forEach((channel, position) => problems.push(...channelProblems(channel, position)))
    }
  }
  return problems
}

/** Every problem with one identify body; empty when the contract accepts it. */
export function validateWhisperrIdentify(value: unknown): WhisperrProblem[] {
  if (!isPlainObject(value))
    return [{ field: 'body', reason: `must be an object, got ${describeType(value)}` }]
  return [
    ...unknownFieldProblems(value, IDENTIFY_FIELDS),
    ...userIdProblems(value),
    ...identifyOptionalProblems(value)
  ]
}

/** Problems that refuse a whole batch request whatever the mode (shape, not event content). */
export function batchEnvelopeProblems(value: unknown): WhisperrProblem[] {
  if (!isPlainObject(value))
    return [{ field: 'body', reason: `must be an object {"events":[...]}, got ${describeType(value)}` }]
  const problems = unknownFieldProblems(value, BATCH_FIELDS)
  const events = value.events
  if (!Array.isArray(events)) {
    problems.push({ field: 'events', reason: `is required as an array, got ${describeType(events)}` })
  } else if (events.length < 1 || events.length > WHISPERR_MAX_BATCH) {
    problems.push({
      field: 'events',
      reason: `must hold 1..${WHISPERR_MAX_BATCH} events, got ${events.length}`
    })
  }
  return problems
}

function userKeyOf(value: { external_user_id?: string; anonymous_id?: string }): string {
  // The contract: "external_user_id wins". Validation guarantees one of them is set.
  return value.external_user_id ?? value.anonymous_id ?? ''
}

// ---------------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------------

const ENDPOINTS: readonly string[] = ['/v1/events/track', '/v1/events/batch', '/v1/identify']

function isEndpoint(pathname: string): pathname is WhisperrEndpoint {
  return ENDPOINTS.includes(pathname)
}

function authProblem(headers: Readonly<Record<string, string>>, apiKey: string): WhisperrProblem | null {
  if (headers['x-api-key'] === apiKey) return null
  const bearer = /^bearer (.+)$/i.exec(headers['authorization'] ?? '')
  if (bearer?.[1] === apiKey) return null
  return { field: 'auth', reason: 'missing or wrong X-API-Key / Authorization: Bearer' }
}

function accepted(count: number, rejected: number): MockResponse {
  return { status: 202, body: { accepted: count, rejected } }
}

/** Start a Whisperr mock on 127.0.0.1; close() it after the test. */
export async function startMockWhisperr(options: MockWhisperrOptions): Promise<MockWhisperr> {
  const { apiKey } = options
  const now = options.now ?? Date.now
  const eventRules: EventRules = { requireProperties: options.requireProperties ?? false }
  let mode: WhisperrMode = options.mode ?? 'partial'
  const received = new Map<string, WhisperrEvent>()
  const deliveries = new Map<string, number>()
  const identifies: WhisperrIdentify[] = []
  const log: WhisperrLogEntry[] = []
  const rejections: WhisperrRejection[] = []
  const gate: RequestGate = { isEndpoint, authProblem: (headers) => authProblem(headers, apiKey) }

  function refuse(path: string, status: number, error: string, problems: WhisperrProblem[]): MockResponse {
    rejections.push({ path, status, problems })
    const message = problems.map(
      (p) => `${p.index === undefined ? '' : `events[${p.index}].`}${p.field}: ${p.reason}`
    )
    return { status, body: { error, message: message.join('; ') || error, problems } }
  }

  function acceptEvent(event: WhisperrEvent, endpoint: '/v1/events/track' | '/v1/events/batch'): void {
    const messageId = event.context.$message_id
    const previous = deliveries.get(messageId) ?? 0
    deliveries.set(messageId, previous + 1)
    if (previous === 0) received.set(messageId, event)
    log.push({
      kind: 'track',
      messageId,
      userKey: userKeyOf(event),
      eventType: event.event_type,
      occurredAt: event.occurred_at,
      endpoint,
      duplicate: previous > 0,
      acceptedAt: now()
    })
  }

  function handleTrack(path: string, body: unknown): MockResponse {
    const problems = validateWhisperrEvent(body, now(), eventRules)
    if (problems.length > 0) return refuse(path, 400, 'invalid_event', problems)
    acceptEvent(body as WhisperrEvent, '/v1/events/track')
    return accepted(1, 0)
  }

  function handleBatch(path: string, body: unknown): MockResponse {
    const envelope = batchEnvelopeProblems(body)
    if (envelope.length > 0) return refuse(path, 400, 'invalid_request', envelope)
    const events = (body as { events: unknown[] }).events
    const nowMs = now()
    const problemsByEvent = events.map((event, index) =>
      validateWhisperrEvent(event, nowMs, eventRules).map((problem) => ({ ...problem, index }))
    )
    const allProblems = problemsByEvent.flat()
    // An older server refuses the whole batch; nothing of it is stored.
    if (mode === 'strict-batch' && allProblems.length > 0)
      return refuse(path, 400, 'invalid_event', allProblems)
    let rejected = 0
    events.forEach((event, index) => {
      if (problemsByEvent[index]?.length) rejected++
      else acceptEvent(event as WhisperrEvent, '/v1/events/batch')
    })
    if (rejected > 0) rejections.push({ path, status: 202, problems: allProblems })
    return accepted(events.length - rejected, rejected)
  }

  function handleIdentify(path: string, body: unknown): MockResponse {
    const problems = validateWhisperrIdentify(body)
    if (problems.length > 0) return refuse(path, 400, 'invalid_identify', problems)
    const identify = body as WhisperrIdentify
    identifies.push(identify)
    log.push({ kind: 'identify', userKey: userKeyOf(identify), endpoint: '/v1/identify', acceptedAt: now() })
    return accepted(1, 0)
  }

  function handle(request: RecordedRequest): MockResponse {
    const path = requestUrl(request).pathname
    const refusal = requestRefusal(request, gate)
    if (refusal) {
      return { ...refuse(path, refusal.status, refusal.error, refusal.problems), headers: refusal.headers }
    }
    if (path === '/v1/events/track') return handleTrack(path, request.json)
    if (path === '/v1/events/batch') return handleBatch(path, request.json)
    return handleIdentify(path, request.json)
  }

  const upstream = await startMockUpstream(handle, { name: 'mock whisperr' })

  return {
    ...upstream,
    apiKey,
    get mode() {
      return mode
    },
    set mode(next: WhisperrMode) {
      mode = next
    },
    received,
    deliveries,
    identifies,
    log,
    rejections,
    duplicateMessageIds: () =>
      [...deliveries].filter(([, count]) => count > 1).map(([messageId]) => messageId),
    waitForEvents(count, timeoutMs = DEFAULT_WAIT_MS) {
      return waitUntil(
        () => received.size >= count,
        timeoutMs,
        () => `mock whisperr to receive ${count} distinct events; it has ${received.size}`
      )
    },
    reset() {
      received.clear()
      deliveries.clear()
      identifies.length = 0
      log.length = 0
      rejections.length = 0
      upstream.clearRequests()
      upstream.clearFaults()
    }
  }
}
