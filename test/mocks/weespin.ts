/**
 * A strict mock of the Weespin upstream API (contract: shared/vendors/README.md, "Weespin").
 *
 * Strict on purpose: whatever the contract rejects, this mock rejects, so a connector that passes
 * against it does not fail against the real server. Where the contract is silent, the mock takes
 * the stricter reading (listed below), because a sender that satisfies the strict reading also
 * satisfies the lenient one.
 *
 * Weespin is "device first": a client registers a device (`POST /initialize-device`, also named
 * `POST /events/initialize`; both behave the same) and must send the `device_info.device_id` of the
 * answer with every later event. The mock only accepts events for device ids it issued itself, so
 * a collector that forwards its provisional offline id (`local_...`) instead of the real one fails
 * loudly, and `log` shows whether the registration really went out before the events.
 *
 * Request pipeline, in this order (the first failing step answers):
 *   unknown path -> 404 · method other than POST -> 405 (`Allow: POST`) · `Authorization` not
 *   exactly the raw key (missing, wrong, or `Bearer <key>`) -> 401 · Content-Type not
 *   application/json -> 415 · body not JSON -> 400 · body shape / validation -> 400.
 *
 * Choices where the contract is silent ("Unknown"):
 * - Initialize: the request body is undocumented. It must be a JSON object (an empty body, `[]` or
 *   `null` is refused, `{}` is fine), any fields allowed. `platform` and `os` are echoed in
 *   `device_info` as sent (any JSON value) when present and left out when absent; `location` is
 *   always `{}`. Every call mints a new `ws_device_<16 hex>` id: registrations are never deduplicated.
 * - Events: unknown top-level fields are refused (only `event_name`, `device_id`, `payload`,
 *   `userId`), since the contract lists those four and a sender must not rely on extra fields.
 * - `event_name` must hold a non-whitespace character (`" "` is refused like `""`).
 * - `device_id` must be a string this server issued; a `local_...` id gets its own reason (it is
 *   Outpost's provisional id, never valid upstream). Issued ids survive stop()/restart(), like a
 *   real server's database; reset() forgets them unless `keepDevices` is set.
 * - `payload` is optional and then recorded as `{}`; when present it must be a plain object whose
 *   values are strings, finite numbers (integer or double) or booleans. `null`, arrays, nested
 *   objects and non-finite numbers (`1e400` parses to Infinity) are refused. Keys are not checked.
 * - `userId`, when present, must be a non-empty string; `null` counts as present and is refused.
 * - The `/events` answer is undocumented: the mock answers `200 {"success":true}`. Error bodies are
 *   `{error, message, problems}`, an invented shape (the real one is unknown), so senders must
 *   classify by status only.
 */
import { randomBytes } from 'node:crypto'
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

export const WEESPIN_DEVICE_ID_PREFIX = 'ws_device_'
/** Prefix of Outpost's provisional (offline) device ids: never valid upstream. */
export const WEESPIN_PROVISIONAL_PREFIX = 'local_'
export const WEESPIN_INITIALIZE_PATHS = ['/initialize-device', '/events/initialize'] as const
export const WEESPIN_EVENTS_PATH = '/events'
export const WEESPIN_EVENT_FIELDS = ['event_name', 'device_id', 'payload', 'userId'] as const

export type WeespinInitializePath = (typeof WEESPIN_INITIALIZE_PATHS)[number]
export type WeespinEndpoint = WeespinInitializePath | typeof WEESPIN_EVENTS_PATH

export type WeespinPayloadValue = string | number | boolean

/** An `/events` body the contract accepts. */
export interface WeespinEvent {
  event_name: string
  device_id: string
  payload?: Record<string, WeespinPayloadValue>
  userId?: string
}

/** The answer to a registration, on either initialize path. */
export interface WeespinInitializeResponse {
  event: {
    event_name: 'app_installed'
    event_type: 'app_installed'
    device_info: { device_id: string; platform?: unknown; os?: unknown }
    location: Record<string, never>
  }
}

/** One reason a request was refused. */
export interface WeespinProblem {
  field: string
  reason: string
}

/** A device this mock issued. */
export interface WeespinDevice {
  registeredAt: number
  /** The initialize request body, as sent. */
  body: unknown
}

/** One accepted event, as recorded. */
export interface WeespinReceivedEvent {
  eventName: string
  deviceId: string
  /** Present only when the event carried one. */
  userId?: string
  /** As sent; `{}` when the event carried no payload. */
  payload: Readonly<Record<string, WeespinPayloadValue>>
  receivedAt: number
}

/** One accepted registration or event, in acceptance order. */
export type WeespinLogEntry =
  | { kind: 'register'; deviceId: string; at: number }
  | { kind: 'event'; eventName: string; deviceId: string; at: number }

/** A refused request (4xx answered by the contract logic). */
export interface WeespinRejection {
  path: string
  status: number
  problems: WeespinProblem[]
}

export interface MockWeespinOptions {
  apiKey: string
  /** Clock for registeredAt / receivedAt / at; default Date.now. */
  now?: () => number
}

export interface WeespinResetOptions {
  /** Keep issued device ids (a real server would): events for them stay valid. Default false. */
  keepDevices?: boolean
}

export interface MockWeespin extends MockUpstream {
  readonly apiKey: string
  /** Every device id this mock issued, in registration order. */
  readonly devices: ReadonlyMap<string, WeespinDevice>
  /** Every accepted event, in acceptance order. */
  readonly events: readonly WeespinReceivedEvent[]
  /** Every accepted registration and event, in acceptance order. */
  readonly log: readonly WeespinLogEntry[]
  /** Every refusal, for debugging a failing test. */
  readonly rejections: readonly WeespinRejection[]
  /** Resolve once at least `count` events were accepted. */
  waitForEvents(count: number, timeoutMs?: number): Promise<void>
  /** Resolve once at least `count` devices were registered. */
  waitForDevices(count: number, timeoutMs?: number): Promise<void>
  /** Forget devices (unless kept), events, log, requests, rejections and faults; the port stays. */
  reset(options?: WeespinResetOptions): void
}

// ---------------------------------------------------------------------------------------------
// Validation: pure functions returning every problem found, so error bodies list them all.
// ---------------------------------------------------------------------------------------------

/** This mock's reasons name Infinity as such, since payload values must be finite (see TypeWording). */
const describeType = typeDescriber({ nonFiniteNumber: true })

function isPayloadValue(value: unknown): value is WeespinPayloadValue {
  if (typeof value === 'number') return Number.isFinite(value)
  return typeof value === 'string' || typeof value === 'boolean'
}

/** Problems with an initialize body: any JSON object is accepted. */
export function validateWeespinInitialize(value: unknown): WeespinProblem[] {
  if (isPlainObject(value)) return []
  return [{ field: 'body', reason: `must be a JSON object ({} when empty), got ${describeType(value)}` }]
}

/** Problems with an event's `payload` (the value itself, already known to be present). */
export function validateWeespinPayload(payload: unknown): WeespinProblem[] {
  if (!isPlainObject(payload))
    return [{ field: 'payload', reason: `must be an object when present, got ${describeType(payload)}` }]
  return Object.entries(payload)
    .filter(([, value]) => !isPayloadValue(value))
    .map(([key, value]) => ({
      field: `payload.${key}`,
      reason: `must be a string, integer, double or boolean, got ${describeType(value)}`
    }))
}

function eventNameProblems(value: unknown): WeespinProblem[] {
  if (typeof value === 'string' && value.trim().length > 0) return []
  const got = typeof value === 'string' ? JSON.stringify(value) : describeType(value)
  return [{ field: 'event_name', reason: `is required as a non-empty string, got ${got}` }]
}

/** Anything with `has(id)`: the mock's device map, or a Set in unit tests. */
export interface IssuedDevices {
  has(deviceId: string): boolean
}

function deviceIdProblems(value: unknown, issued: IssuedDevices): WeespinProblem[] {
  const field = 'device_id'
  if (typeof value !== 'string' || value.length === 0) {
    const got = typeof value === 'string' ? '""' : describeType(value)
    return [{ field, reason: `is required as the device_info.device_id from /initialize-device, got ${got}` }]
  }
  if (value.startsWith(WEESPIN_PROVISIONAL_PREFIX)) {
    return [
      {
        field,
        reason:
          `"${value}" is a provisional id (${WEESPIN_PROVISIONAL_PREFIX}...) that Weespin never issued: ` +
          'register the device first and send the device_info.device_id it answers'
      }
    ]
  }
  if (!issued.has(value)) {
    return [
      {
        field,
        reason: `unknown device "${value}": this server never issued it (register with POST /initialize-device first)`
      }
    ]
  }
  return []
}

function userIdProblems(value: Record<string, unknown>): WeespinProblem[] {
  if (!('userId' in value)) return []
  const userId = value.userId
  if (typeof userId === 'string' && userId.length > 0) return []
  const got = typeof userId === 'string' ? '""' : describeType(userId)
  return [{ field: 'userId', reason: `must be a non-empty string when present, got ${got}` }]
}

/** Every problem with one `/events` body; empty when the contract accepts it. */
export function validateWeespinEvent(value: unknown, issued: IssuedDevices): WeespinProblem[] {
  if (!isPlainObject(value))
    return [{ field: 'body', reason: `must be an event object, got ${describeType(value)}` }]
  return [
    ...unknownFieldProblems(value, WEESPIN_EVENT_FIELDS),
    ...eventNameProblems(value.event_name),
    ...deviceIdProblems(value.device_id, issued),
    ...('payload' in value ? validateWeespinPayload(value.payload) : []),
    ...userIdProblems(value)
  ]
}

// ---------------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------------

const ENDPOINTS: readonly string[] = [...WEESPIN_INITIALIZE_PATHS, WEESPIN_EVENTS_PATH]

function isEndpoint(pathname: string): pathname is WeespinEndpoint {
  return ENDPOINTS.includes(pathname)
}

function authProblem(authorization: string | undefined, apiKey: string): WeespinProblem | null {
  if (authorization === apiKey) return null
  if (authorization !== undefined && /^bearer\s/i.test(authorization)) {
    return { field: 'authorization', reason: 'must be the raw API key, without the Bearer scheme' }
  }
  const got = authorization === undefined ? 'none' : 'a wrong key'
  return { field: 'authorization', reason: `missing or wrong API key (Authorization: <key>), got ${got}` }
}

function newDeviceId(): string {
  return `${WEESPIN_DEVICE_ID_PREFIX}${randomBytes(8).toString('hex')}`
}

/** Start a Weespin mock on 127.0.0.1; close() it after the test. */
export async function startMockWeespin(options: MockWeespinOptions): Promise<MockWeespin> {
  const { apiKey } = options
  const now = options.now ?? Date.now
  const devices = new Map<string, WeespinDevice>()
  const events: WeespinReceivedEvent[] = []
  const log: WeespinLogEntry[] = []
  const rejections: WeespinRejection[] = []
  const gate: RequestGate = {
    isEndpoint,
    authProblem: (headers) => authProblem(headers['authorization'], apiKey)
  }

  function refuse(path: string, status: number, error: string, problems: WeespinProblem[]): MockResponse {
    rejections.push({ path, status, problems })
    const message = problems.map((p) => `${p.field}: ${p.reason}`).join('; ')
    return { status, body: { error, message: message || error, problems } }
  }

  function handleInitialize(path: string, body: unknown): MockResponse {
    const problems = validateWeespinInitialize(body)
    if (problems.length > 0) return refuse(path, 400, 'invalid_request', problems)
    const sent = body as Record<string, unknown>
    const deviceId = newDeviceId()
    const at = now()
    devices.set(deviceId, { registeredAt: at, body })
    log.push({ kind: 'register', deviceId, at })
    const deviceInfo: WeespinInitializeResponse['event']['device_info'] = { device_id: deviceId }
    if ('platform' in sent) deviceInfo.platform = sent.platform
    if ('os' in sent) deviceInfo.os = sent.os
    const answer: WeespinInitializeResponse = {
      event: {
        event_name: 'app_installed',
        event_type: 'app_installed',
        device_info: deviceInfo,
        location: {}
      }
    }
    return { status: 200, body: answer }
  }

  function handleEvent(path: string, body: unknown): MockResponse {
    const problems = validateWeespinEvent(body, devices)
    if (problems.length > 0) return refuse(path, 400, 'invalid_event', problems)
    const event = body as WeespinEvent
    const at = now()
    events.push({
      eventName: event.event_name,
      deviceId: event.device_id,
      ...(event.userId === undefined ? {} : { userId: event.userId }),
      payload: event.payload ?? {},
      receivedAt: at
    })
    log.push({ kind: 'event', eventName: event.event_name, deviceId: event.device_id, at })
    return { status: 200, body: { success: true } }
  }

  function handle(request: RecordedRequest): MockResponse {
    const path = requestUrl(request).pathname
    const refusal = requestRefusal(request, gate)
    if (refusal) {
      return { ...refuse(path, refusal.status, refusal.error, refusal.problems), headers: refusal.headers }
    }
    if (path === WEESPIN_EVENTS_PATH) return handleEvent(path, request.json)
    return handleInitialize(path, request.json)
  }

  const upstream = await startMockUpstream(handle, { name: 'mock weespin' })

  return {
    ...upstream,
    apiKey,
    devices,
    events,
    log,
    rejections,
    waitForEvents(count, timeoutMs = DEFAULT_WAIT_MS) {
      return waitUntil(
        () => events.length >= count,
        timeoutMs,
        () => `mock weespin to accept ${count} events; it has ${events.length}`
      )
    },
    waitForDevices(count, timeoutMs = DEFAULT_WAIT_MS) {
      return waitUntil(
        () => devices.size >= count,
        timeoutMs,
        () => `mock weespin to register ${count} devices; it has ${devices.size}`
      )
    },
    reset(resetOptions = {}) {
      if (!resetOptions.keepDevices) devices.clear()
      events.length = 0
      log.length = 0
      rejections.length = 0
      upstream.clearRequests()
      upstream.clearFaults()
    }
  }
}
