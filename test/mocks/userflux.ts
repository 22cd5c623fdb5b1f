/**
 * A strict mock of the UserFlux upstream API (contract: shared/vendors/README.md, "UserFlux").
 *
 * Strict on purpose: whatever the contract rejects, this mock rejects, so a connector that passes
 * against it does not fail against the real server. Where the contract is silent, the mock takes
 * the stricter reading (listed below), because a sender that satisfies the strict reading also
 * satisfies the lenient one.
 *
 * Request pipeline, in this order (the first failing step answers):
 *   unknown path -> 404 · method other than POST -> 405 (`Allow: POST`) · `Authorization` not
 *   `Bearer <key>` (missing, wrong, or the raw key) -> 401 · a query other than
 *   `locationEnrichment=true|false` -> 400 · Content-Type not application/json -> 415 · body not
 *   JSON -> 400 · body shape / validation -> 400 · a batch above `maxBatchSize` -> 413 ·
 *   otherwise `204` with no body.
 *
 * Choices where the contract is silent ("Unknown"):
 * - `userId` / `anonymousId`: a non-empty string or null (the official SDKs send null for "none");
 *   at least one must be a non-empty string.
 * - `name`: a non-empty string without whitespace. `timestamp`: a JSON number that is a
 *   non-negative safe integer (milliseconds); no range is checked, none is documented.
 * - `properties` is required on events and profiles and must be a plain object (any content:
 *   nested objects, arrays, nulls). `externalId` and `sessionId`: string or null; `deviceData`:
 *   object or null.
 * - Unknown fields on an event or profile are refused by default (`unknownFields: 'reject'`), the
 *   stricter reading; `'accept'` plays a server that ignores them. The batch envelope holds
 *   `events` only; an empty batch is refused.
 * - One bad event refuses the whole batch (400), nothing of it is stored.
 * - The maximum batch size is unknown: unlimited unless `maxBatchSize` is set; above it, `413`.
 * - Error bodies are `{error, message, problems}`, an invented shape (the real one is unknown),
 *   so senders must classify by status only.
 * - No dedupe: an event sent twice is recorded twice; `duplicates()` lists such events.
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

export const USERFLUX_EVENT_PATH = '/event/ingest'
export const USERFLUX_BATCH_PATH = '/event/ingest/batch'
export const USERFLUX_PROFILE_PATH = '/profile'

const EVENT_FIELDS = [
  'userId',
  'anonymousId',
  'name',
  'timestamp',
  'properties',
  'externalId',
  'sessionId',
  'deviceData'
]
const PROFILE_FIELDS = ['userId', 'anonymousId', 'properties', 'deviceData']
const ENDPOINTS: readonly string[] = [USERFLUX_EVENT_PATH, USERFLUX_BATCH_PATH, USERFLUX_PROFILE_PATH]

export type UserFluxEndpoint =
  typeof USERFLUX_EVENT_PATH | typeof USERFLUX_BATCH_PATH | typeof USERFLUX_PROFILE_PATH

/** An event the contract accepts. */
export interface UserFluxEvent {
  userId?: string | null
  anonymousId?: string | null
  name: string
  timestamp: number
  properties: Record<string, unknown>
  externalId?: string | null
  sessionId?: string | null
  deviceData?: Record<string, unknown> | null
}

/** A `/profile` body the contract accepts. */
export interface UserFluxProfile {
  userId?: string | null
  anonymousId?: string | null
  properties: Record<string, unknown>
  deviceData?: Record<string, unknown> | null
}

/** One reason a request was refused; `index` is the event's position in a batch. */
export interface UserFluxProblem {
  index?: number
  field: string
  reason: string
}

/** `locationEnrichment` as the request carried it; null when absent. */
export type LocationEnrichment = 'true' | 'false' | null

export interface UserFluxReceivedEvent {
  event: UserFluxEvent
  endpoint: typeof USERFLUX_EVENT_PATH | typeof USERFLUX_BATCH_PATH
  locationEnrichment: LocationEnrichment
  receivedAt: number
}

export interface UserFluxReceivedProfile {
  profile: UserFluxProfile
  locationEnrichment: LocationEnrichment
  receivedAt: number
}

/** One accepted event or profile, in acceptance order; `userKey` is userId, else anonymousId. */
export type UserFluxLogEntry =
  { kind: 'event'; name: string; userKey: string } | { kind: 'profile'; userKey: string }

export interface UserFluxRejection {
  path: string
  status: number
  problems: UserFluxProblem[]
}

export interface MockUserFluxOptions {
  apiKey: string
  /** Refuse (default) or accept fields the contract does not list on events and profiles. */
  unknownFields?: 'reject' | 'accept'
  /** Most events a batch may hold; above it the mock answers 413. Default: no limit. */
  maxBatchSize?: number
  /** Clock for receivedAt; default Date.now. */
  now?: () => number
}

export interface MockUserFlux extends MockUpstream {
  readonly apiKey: string
  /** Every accepted event, in acceptance order (a resent event appears again). */
  readonly events: readonly UserFluxReceivedEvent[]
  readonly profiles: readonly UserFluxReceivedProfile[]
  readonly log: readonly UserFluxLogEntry[]
  readonly rejections: readonly UserFluxRejection[]
  /** The JSON of every event accepted more than once. */
  duplicates(): string[]
  /** Resolve once at least `count` events were accepted. */
  waitForEvents(count: number, timeoutMs?: number): Promise<void>
  /** Forget events, profiles, log, requests, rejections and faults (the port stays). */
  reset(): void
}

// ---------------------------------------------------------------------------------------------
// Validation: pure functions returning every problem found, so error bodies list them all.
// ---------------------------------------------------------------------------------------------

function userIdProblems(value: Record<string, unknown>): UserFluxProblem[] {
  const problems: UserFluxProblem[] = []
  for (const field of ['userId', 'anonymousId']) {
    const id = value[field]
    if (id === undefined || id === null || (typeof id === 'string' && id.length > 0)) continue
    const got = typeof id === 'string' ? '""' : describeType(id)
    problems.push({ field, reason: `must be a non-empty string or null, got ${got}` })
  }
  const present = ['userId', 'anonymousId'].some((field) => typeof value[field] === 'string')
  if (!present && problems.length === 0) {
    problems.push({ field: 'userId', reason: 'userId or anonymousId is required as a non-empty string' })
  }
  return problems
}

function nameProblems(value: unknown): UserFluxProblem[] {
  if (typeof value === 'string' && /^\S+$/.test(value)) return []
  const got = typeof value === 'string' ? JSON.stringify(value) : describeType(value)
  return [{ field: 'name', reason: `is required as a non-empty string without whitespace, got ${got}` }]
}

function timestampProblems(value: unknown): UserFluxProblem[] {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return []
  const got = typeof value === 'number' ? String(value) : describeType(value)
  return [{ field: 'timestamp', reason: `is required as epoch milliseconds (a whole number), got ${got}` }]
}

function propertiesProblems(value: unknown): UserFluxProblem[] {
  if (isPlainObject(value)) return []
  return [
    { field: 'properties', reason: `is required as an object ({} when empty), got ${describeType(value)}` }
  ]
}

function nullableProblems(
  value: Record<string, unknown>,
  field: string,
  type: 'string' | 'object'
): UserFluxProblem[] {
  const given = value[field]
  if (given === undefined || given === null) return []
  if (type === 'object' ? isPlainObject(given) : typeof given === type) return []
  return [
    {
      field,
      reason: `must be ${type === 'object' ? 'an object' : 'a string'} or null, got ${describeType(given)}`
    }
  ]
}

export interface UserFluxRules {
  unknownFields?: 'reject' | 'accept'
}

/** Every problem with one event; empty when the contract accepts it. */
export function validateUserFluxEvent(value: unknown, rules: UserFluxRules = {}): UserFluxProblem[] {
  if (!isPlainObject(value))
    return [{ field: 'event', reason: `must be an object, got ${describeType(value)}` }]
  return [
    ...(rules.unknownFields === 'accept' ? [] : unknownFieldProblems(value, EVENT_FIELDS)),
    ...userIdProblems(value),
    ...nameProblems(value.name),
    ...timestampProblems(value.timestamp),
    ...propertiesProblems(value.properties),
    ...nullableProblems(value, 'externalId', 'string'),
    ...nullableProblems(value, 'sessionId', 'string'),
    ...nullableProblems(value, 'deviceData', 'object')
  ]
}

/** Every problem with one `/profile` body; empty when the contract accepts it. */
export function validateUserFluxProfile(value: unknown, rules: UserFluxRules = {}): UserFluxProblem[] {
  if (!isPlainObject(value))
    return [{ field: 'body', reason: `must be an object, got ${describeType(value)}` }]
  return [
    ...(rules.unknownFields === 'accept' ? [] : unknownFieldProblems(value, PROFILE_FIELDS)),
    ...userIdProblems(value),
    ...propertiesProblems(value.properties),
    ...nullableProblems(value, 'deviceData', 'object')
  ]
}

/** Problems with the batch envelope `{"events":[...]}` (not with the events in it). */
export function validateUserFluxBatchEnvelope(value: unknown): UserFluxProblem[] {
  if (!isPlainObject(value))
    return [{ field: 'body', reason: `must be an object {"events":[...]}, got ${describeType(value)}` }]
  const problems = unknownFieldProblems(value, ['events'])
  if (!Array.isArray(value.events) || value.events.length === 0) {
    const got = Array.isArray(value.events) ? 'an empty array' : describeType(value.events)
    problems.push({ field: 'events', reason: `is required as an array of 1 or more events, got ${got}` })
  }
  return problems
}

/** Problems with the query string: only `locationEnrichment=true|false`, at most once. */
export function validateUserFluxQuery(search: URLSearchParams): UserFluxProblem[] {
  const problems: UserFluxProblem[] = [...new Set(search.keys())]
    .filter((name) => name !== 'locationEnrichment')
    .map((name) => ({
      field: `query.${name}`,
      reason: 'unknown query parameter (allowed: locationEnrichment)'
    }))
  const values = search.getAll('locationEnrichment')
  if (values.length > 1 || (values.length === 1 && values[0] !== 'true' && values[0] !== 'false')) {
    problems.push({
      field: 'query.locationEnrichment',
      reason: `must be given once as true or false, got ${JSON.stringify(values)}`
    })
  }
  return problems
}

function userKeyOf(value: { userId?: string | null; anonymousId?: string | null }): string {
  // Validation guarantees one of them is a non-empty string.
  return value.userId ?? value.anonymousId ?? ''
}

// ---------------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------------

function isEndpoint(pathname: string): pathname is UserFluxEndpoint {
  return ENDPOINTS.includes(pathname)
}

function authProblem(authorization: string | undefined, apiKey: string): UserFluxProblem | null {
  const bearer = /^bearer (.+)$/i.exec(authorization ?? '')
  if (bearer?.[1] === apiKey) return null
  if (authorization === apiKey) {
    return { field: 'authorization', reason: 'must use the Bearer scheme: Authorization: Bearer <key>' }
  }
  const got = authorization === undefined ? 'none' : 'a wrong key'
  return {
    field: 'authorization',
    reason: `missing or wrong write key (Authorization: Bearer <key>), got ${got}`
  }
}

const NO_CONTENT: MockResponse = { status: 204 }

/** Start a UserFlux mock on 127.0.0.1; close() it after the test. */
export async function startMockUserFlux(options: MockUserFluxOptions): Promise<MockUserFlux> {
  const { apiKey, maxBatchSize } = options
  const now = options.now ?? Date.now
  const rules: UserFluxRules = { unknownFields: options.unknownFields ?? 'reject' }
  const events: UserFluxReceivedEvent[] = []
  const profiles: UserFluxReceivedProfile[] = []
  const log: UserFluxLogEntry[] = []
  const rejections: UserFluxRejection[] = []
  const gate: RequestGate = {
    isEndpoint,
    authProblem: (headers) => authProblem(headers['authorization'], apiKey),
    queryProblems: validateUserFluxQuery
  }

  function refuse(path: string, status: number, error: string, problems: UserFluxProblem[]): MockResponse {
    rejections.push({ path, status, problems })
    const message = problems.map(
      (p) => `${p.index === undefined ? '' : `events[${p.index}].`}${p.field}: ${p.reason}`
    )
    return { status, body: { error, message: message.join('; ') || error, problems } }
  }

  function acceptEvents(
    accepted: UserFluxEvent[],
    endpoint: UserFluxReceivedEvent['endpoint'],
    locationEnrichment: LocationEnrichment
  ): MockResponse {
    const receivedAt = now()
    for (const event of accepted) {
      events.push({ event, endpoint, locationEnrichment, receivedAt })
      log.push({ kind: 'event', name: event.name, userKey: userKeyOf(event) })
    }
    return NO_CONTENT
  }

  function handleEvent(path: string, body: unknown, locationEnrichment: LocationEnrichment): MockResponse {
    const problems = validateUserFluxEvent(body, rules)
    if (problems.length > 0) return refuse(path, 400, 'invalid_event', problems)
    return acceptEvents([body as UserFluxEvent], USERFLUX_EVENT_PATH, locationEnrichment)
  }

  function handleBatch(path: string, body: unknown, locationEnrichment: LocationEnrichment): MockResponse {
    const envelope = validateUserFluxBatchEnvelope(body)
    if (envelope.length > 0) return refuse(path, 400, 'invalid_request', envelope)
    const batch = (body as { events: unknown[] }).events
    const problems = batch.flatMap((event, index) =>
      validateUserFluxEvent(event, rules).map((problem) => ({ ...problem, index }))
    )
    if (problems.length > 0) return refuse(path, 400, 'invalid_event', problems)
    if (maxBatchSize !== undefined && batch.length > maxBatchSize) {
      return refuse(path, 413, 'payload_too_large', [
        { field: 'events', reason: `holds ${batch.length} events; at most ${maxBatchSize} are accepted` }
      ])
    }
    return acceptEvents(batch as UserFluxEvent[], USERFLUX_BATCH_PATH, locationEnrichment)
  }

  function handleProfile(path: string, body: unknown, locationEnrichment: LocationEnrichment): MockResponse {
    const problems = validateUserFluxProfile(body, rules)
    if (problems.length > 0) return refuse(path, 400, 'invalid_profile', problems)
    const profile = body as UserFluxProfile
    profiles.push({ profile, locationEnrichment, receivedAt: now() })
    log.push({ kind: 'profile', userKey: userKeyOf(profile) })
    return NO_CONTENT
  }

  function handle(request: RecordedRequest): MockResponse {
    const url = requestUrl(request)
    const path = url.pathname
    const refusal = requestRefusal(request, gate)
    if (refusal) {
      return { ...refuse(path, refusal.status, refusal.error, refusal.problems), headers: refusal.headers }
    }
    const locationEnrichment = url.searchParams.get('locationEnrichment') as LocationEnrichment
    if (path === USERFLUX_EVENT_PATH) return handleEvent(path, request.json, locationEnrichment)
    if (path === USERFLUX_BATCH_PATH) return handleBatch(path, request.json, locationEnrichment)
    return handleProfile(path, request.json, locationEnrichment)
  }

  const upstream = await startMockUpstream(handle, { name: 'mock userflux' })

  return {
    ...upstream,
    apiKey,
    events,
    profiles,
    log,
    rejections,
    duplicates() {
      const seen = new Map<string, number>()
      for (const { event } of events) {
        const key = JSON.stringify(event)
        seen.set(key, (seen.get(key) ?? 0) + 1)
      }
      return [...seen].filter(([, count]) => count > 1).map(([key]) => key)
    },
    waitForEvents(count, timeoutMs = DEFAULT_WAIT_MS) {
      return waitUntil(
        () => events.length >= count,
        timeoutMs,
        () => `mock userflux to accept ${count} events; it has ${events.length}`
      )
    },
    reset() {
      events.length = 0
      profiles.length = 0
      log.length = 0
      rejections.length = 0
      upstream.clearRequests()
      upstream.clearFaults()
    }
  }
}
