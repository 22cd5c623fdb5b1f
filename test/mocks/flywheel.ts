/**
 * A strict mock of the Flywheel upstream API (contract: shared/vendors/README.md, "Flywheel").
 *
 * Strict on purpose: whatever the contract rejects, this mock rejects, so a connector that passes
 * against it does not fail against the real server. Where the contract is silent, the mock takes
 * the stricter reading (listed below), because a sender that satisfies the strict reading also
 * satisfies the lenient one. It shares no code with the connector under test.
 *
 * Request pipeline, in this order (the first failing step answers):
 *   path other than /v1/events -> 404 · method other than POST -> 405 (`Allow: POST`) ·
 *   `Authorization` not exactly the raw key (missing, wrong, or `Bearer <key>`) -> 401 ·
 *   `Auth-Type` not `api` -> 401 · Content-Type not application/json -> 415 · body not JSON -> 400 ·
 *   body validation -> 400 · otherwise `200 {"success":true,"message":"Event tracked successfully"}`.
 *
 * Choices where the contract is silent ("Unknown"):
 * - The body must be `{"event": {...}}` and nothing else; the event may hold only the documented
 *   fields (`event`, `user_id`, `org_assigned_user_id`, `anonymous_id`, `identify`, `properties`).
 * - `event` (the name) must be a non-blank string; snake_case is advised, so other names are accepted.
 * - `properties` is required (the contract marks optional fields with `?`, not this one); its values
 *   must be strings (ISO 8601 date-times included), finite numbers or booleans.
 * - `user_id` / `org_assigned_user_id`: non-empty string or finite number; `anonymous_id`: non-empty
 *   string; `identify`: boolean. No user field is required.
 * - `identify: true` copies the identifiable properties into `profiles`, keyed by the first user
 *   field found in Flywheel's lookup order; `full_name` is split into first and last name.
 * - No idempotency key exists, so nothing is deduplicated: every accepted request is stored, and
 *   `deliveries` counts equal bodies so tests can see duplicates. Error bodies are
 *   `{success: false, message, problems}`, an invented shape.
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
  isPlainObject,
  requestRefusal,
  requestUrl,
  typeDescriber,
  unknownFieldProblems,
  type RequestGate
} from './json-contract'

export const FLYWHEEL_PATH = '/v1/events'
export const FLYWHEEL_TRACKED = { success: true, message: 'Event tracked successfully' } as const
export const FLYWHEEL_EVENT_FIELDS = [
  'event',
  'user_id',
  'org_assigned_user_id',
  'anonymous_id',
  'identify',
  'properties'
] as const
export const FLYWHEEL_IDENTIFIABLE = [
  'email',
  'first_name',
  'last_name',
  'full_name',
  'phone',
  'primary_email',
  'primary_phone',
  'stripe_customer_id'
] as const

export type FlywheelPropertyValue = string | number | boolean

/** The inner event of a body the contract accepts. */
export interface FlywheelEvent {
  event: string
  user_id?: string | number
  org_assigned_user_id?: string | number
  anonymous_id?: string
  identify?: boolean
  properties: Record<string, FlywheelPropertyValue>
}

export interface FlywheelProblem {
  field: string
  reason: string
}

/** One accepted event, as recorded. */
export interface FlywheelReceivedEvent {
  event: FlywheelEvent
  /** The user Flywheel would find (its lookup order), null when the event names none. */
  user: string | null
  receivedAt: number
}

export interface FlywheelRejection {
  path: string
  status: number
  problems: FlywheelProblem[]
}

export interface MockFlywheelOptions {
  apiKey: string
  now?: () => number
}

export interface MockFlywheel extends MockUpstream {
  readonly apiKey: string
  /** Every accepted event, in acceptance order (duplicates included). */
  readonly events: readonly FlywheelReceivedEvent[]
  /** How many times each distinct raw body was accepted. */
  readonly deliveries: ReadonlyMap<string, number>
  /** Identifiable properties pulled by `identify: true`, by user. */
  readonly profiles: ReadonlyMap<string, Readonly<Record<string, string>>>
  readonly rejections: readonly FlywheelRejection[]
  waitForEvents(count: number, timeoutMs?: number): Promise<void>
  /** Forget events, deliveries, profiles, rejections, requests and faults. */
  reset(): void
}

// ---------------------------------------------------------------------------------------------
// Validation: pure functions returning every problem found.
// ---------------------------------------------------------------------------------------------

/** This mock's reasons call an object 'an object' and name Infinity as such (see TypeWording). */
const describeType = typeDescriber({ anObject: true, nonFiniteNumber: true })

function isPropertyValue(value: unknown): value is FlywheelPropertyValue {
  if (typeof value === 'number') return Number.isFinite(value)
  return typeof value === 'string' || typeof value === 'boolean'
}

function nameProblems(value: unknown): FlywheelProblem[] {
  if (typeof value === 'string' && value.trim() !== '') return []
  const got = typeof value === 'string' ? JSON.stringify(value) : describeType(value)
  return [{ field: 'event.event', reason: `is required as a non-blank string, got ${got}` }]
}

function userIdProblems(event: Record<string, unknown>): FlywheelProblem[] {
  const problems: FlywheelProblem[] = []
  for (const field of ['user_id', 'org_assigned_user_id']) {
    if (!(field in event)) continue
    const value = event[field]
    const valid =
      (typeof value === 'string' && value !== '') || (typeof value === 'number' && Number.isFinite(value))
    if (!valid)
      problems.push({
        field: `event.${field}`,
        reason: `must be a non-empty string or a number, got ${describeType(value)}`
      })
  }
  if ('anonymous_id' in event && !(typeof event.anonymous_id === 'string' && event.anonymous_id !== '')) {
    problems.push({
      field: 'event.anonymous_id',
      reason: `must be a non-empty string, got ${describeType(event.anonymous_id)}`
    })
  }
  if ('identify' in event && typeof event.identify !== 'boolean') {
    problems.push({
      field: 'event.identify',
      reason: `must be true or false, got ${describeType(event.identify)}`
    })
  }
  return problems
}

/** Problems with `properties` (the value itself). */
export function validateFlywheelProperties(properties: unknown): FlywheelProblem[] {
  if (!isPlainObject(properties)) {
    return [
      { field: 'event.properties', reason: `is required as an object, got ${describeType(properties)}` }
    ]
  }
  return Object.entries(properties)
    .filter(([, value]) => !isPropertyValue(value))
    .map(([name, value]) => ({
      field: `event.properties.${name}`,
      reason: `must be a string, number, boolean or ISO 8601 date-time string, got ${describeType(value)}`
    }))
}

/** Every problem with one request body; empty when the contract accepts it. */
export function validateFlywheelBody(value: unknown): FlywheelProblem[] {
  if (!isPlainObject(value))
    return [{ field: 'body', reason: `must be an object {"event": {...}}, got ${describeType(value)}` }]
  const outer = unknownFieldProblems(value, ['event'])
  const event = value.event
  if (!isPlainObject(event)) {
    return [
      ...outer,
      {
        field: 'event',
        reason: `is required as the event object (the outer wrapper), got ${describeType(event)}`
      }
    ]
  }
  return [
    ...outer,
    ...unknownFieldProblems(event, FLYWHEEL_EVENT_FIELDS, 'event.'),
    ...nameProblems(event.event),
    ...userIdProblems(event),
    ...validateFlywheelProperties(event.properties)
  ]
}

/** The first user field in Flywheel's lookup order, as text; null when there is none. */
export function flywheelUserOf(event: FlywheelEvent): string | null {
  const { properties } = event
  const candidates = [
    event.user_id,
    event.org_assigned_user_id,
    properties.stripe_customer_id,
    properties.email,
    event.anonymous_id,
    properties.primary_email,
    properties.primary_phone,
    properties.phone
  ]
  const found = candidates.find((value) => value !== undefined && value !== '' && typeof value !== 'boolean')
  return found === undefined ? null : String(found)
}

function identifiableOf(properties: FlywheelEvent['properties']): Record<string, string> {
  const pulled: Record<string, string> = {}
  for (const name of FLYWHEEL_IDENTIFIABLE) {
    const value = properties[name]
    if (value === undefined) continue
    if (name !== 'full_name') {
      pulled[name] = String(value)
      continue
    }
    const [first, ...rest] = String(value).trim().split(/\s+/)
    pulled.first_name = first ?? ''
    pulled.last_name = rest.join(' ')
  }
  return pulled
}

// ---------------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------------

function authProblem(headers: Readonly<Record<string, string>>, apiKey: string): FlywheelProblem | null {
  const authorization = headers['authorization']
  if (authorization === undefined) return { field: 'authorization', reason: 'missing Authorization header' }
  if (/^bearer\s/i.test(authorization)) {
    return { field: 'authorization', reason: 'must be the raw API key, without the Bearer scheme' }
  }
  if (authorization !== apiKey) return { field: 'authorization', reason: 'wrong API key' }
  const authType = headers['auth-type']
  if (authType !== 'api') {
    return {
      field: 'auth-type',
      reason: `must be "api", got ${authType === undefined ? 'none' : JSON.stringify(authType)}`
    }
  }
  return null
}

/** Start a Flywheel mock on 127.0.0.1; close() it after the test. */
export async function startMockFlywheel(options: MockFlywheelOptions): Promise<MockFlywheel> {
  const { apiKey } = options
  const now = options.now ?? Date.now
  const events: FlywheelReceivedEvent[] = []
  const deliveries = new Map<string, number>()
  const profiles = new Map<string, Record<string, string>>()
  const rejections: FlywheelRejection[] = []
  const gate: RequestGate = {
    isEndpoint: (path) => path === FLYWHEEL_PATH,
    authProblem: (headers) => authProblem(headers, apiKey)
  }

  function refuse(path: string, status: number, problems: FlywheelProblem[]): MockResponse {
    rejections.push({ path, status, problems })
    const message = problems.map((p) => `${p.field}: ${p.reason}`).join('; ')
    return { status, body: { success: false, message, problems } }
  }

  function track(request: RecordedRequest): MockResponse {
    const event = (request.json as { event: FlywheelEvent }).event
    const user = flywheelUserOf(event)
    events.push({ event, user, receivedAt: now() })
    deliveries.set(request.body, (deliveries.get(request.body) ?? 0) + 1)
    if (event.identify === true && user !== null) {
      profiles.set(user, { ...profiles.get(user), ...identifiableOf(event.properties) })
    }
    return { status: 200, body: FLYWHEEL_TRACKED }
  }

  function handle(request: RecordedRequest): MockResponse {
    const path = requestUrl(request).pathname
    const refusal = requestRefusal(request, gate)
    // Flywheel's error bodies carry no error code, so refusal.error goes unused.
    if (refusal) return { ...refuse(path, refusal.status, refusal.problems), headers: refusal.headers }
    const problems = validateFlywheelBody(request.json)
    if (problems.length > 0) return refuse(path, 400, problems)
    return track(request)
  }

  const upstream = await startMockUpstream(handle, { name: 'mock flywheel' })

  return {
    ...upstream,
    apiKey,
    events,
    deliveries,
    profiles,
    rejections,
    waitForEvents(count, timeoutMs = DEFAULT_WAIT_MS) {
      return waitUntil(
        () => events.length >= count,
        timeoutMs,
        () => `mock flywheel to accept ${count} events; it has ${events.length}`
      )
    },
    reset() {
      events.length = 0
      deliveries.clear()
      profiles.clear()
      rejections.length = 0
      upstream.clearRequests()
      upstream.clearFaults()
    }
  }
}
