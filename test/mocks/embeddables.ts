/**
 * A strict mock of the Embeddables upstream API (contract: shared/vendors/README.md, "Embeddables").
 *
 * Strict on purpose: whatever the contract rejects, this mock rejects, so a connector that passes
 * against it does not fail against the real server. Where the contract is silent, the mock takes
 * the stricter reading (listed below), because a sender that satisfies the strict reading also
 * satisfies the lenient one. It shares no code with the connector under test.
 *
 * Request pipeline, in this order (the first failing step answers):
 *   path other than /projects/{projectId}/events -> 404 `NOT_FOUND` · method other than POST -> 405
 *   (`Allow: POST`) · `X-Api-Key` missing, wrong, or not a restricted `rk_` key -> 401 · Content-Type
 *   not application/json -> 415 · body not JSON -> 400 · body validation -> 400 · the identifier
 *   matches no entry -> 404 `ENTRY_NOT_FOUND` · otherwise 200 with the stored event.
 *
 * Choices where the contract is silent ("Unknown"):
 * - Fields other than the five documented ones are refused, in the body and in the identifier.
 * - `timestamp`: ISO 8601 in its RFC 3339 form (seconds and a `Z` or `±hh:mm` zone), a real date.
 * - `embeddable_id`: any non-empty string (`flow_...` is an example, not checked).
 * - `custom_event_props` must be a string whose JSON is an object (`"{}"` is fine).
 * - `identifiers[0].value` must be a string whose JSON is a non-empty string or a number.
 * - Entries: every identifier matches one unless `entries` is set; then only the listed
 *   `{key, value}` pairs (value decoded) match, anything else answers 404 `ENTRY_NOT_FOUND`.
 * - The 200 body is invented (the real one is only described): `{id: "evt_<16 hex>",
 *   event_type: "custom_event:triggered", project_id, embeddable_id, entry_id, custom_event_name,
 *   timestamp}`. Error bodies are `{error, message, problems}`, also invented.
 * - No idempotency key exists, so nothing is deduplicated: every accepted request is stored, and
 *   `deliveries` counts equal requests so tests can see duplicates.
 */
import { createHash, randomBytes } from 'node:crypto'
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

export const EMBEDDABLES_EVENT_FIELDS = [
  'embeddable_id',
  'timestamp',
  'custom_event_name',
  'custom_event_props',
  'identifiers'
] as const
export const EMBEDDABLES_EVENT_TYPE = 'custom_event:triggered'
export const EMBEDDABLES_KEY_PREFIX = 'rk_'
const SNAKE_CASE = /^[a-z0-9]+(?:_[a-z0-9]+)*$/
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:Z|[+-](\d{2}):(\d{2}))$/
const EVENTS_PATH = /^\/projects\/([^/]+)\/events$/

/** An event body the contract accepts. */
export interface EmbeddablesEvent {
  embeddable_id: string
  timestamp: string
  custom_event_name: string
  /** JSON text of an object. */
  custom_event_props: string
  /** Exactly one; `value` is JSON text, e.g. `"\"test@test.com\""`. */
  identifiers: [{ key: string; value: string }]
}

/** An entry an identifier can match; `value` decoded (`test@test.com`, not its JSON). */
export interface EmbeddablesEntry {
  key: string
  value: string | number
}

export interface EmbeddablesProblem {
  field: string
  reason: string
}

/** One accepted event, as recorded. */
export interface EmbeddablesReceivedEvent {
  id: string
  projectId: string
  body: EmbeddablesEvent
  /** `custom_event_props` parsed. */
  props: Record<string, unknown>
  /** The identifier with its value decoded. */
  identifier: EmbeddablesEntry
  receivedAt: number
}

export interface EmbeddablesRejection {
  path: string
  status: number
  problems: EmbeddablesProblem[]
}

export interface MockEmbeddablesOptions {
  /** Must start with `rk_`, like every restricted key. */
  apiKey: string
  /** Only these entries exist; default: every identifier matches an entry. */
  entries?: EmbeddablesEntry[] | null
  now?: () => number
}

export interface MockEmbeddables extends MockUpstream {
  readonly apiKey: string
  /** The entries that exist; null = every identifier matches. May be changed mid-test. */
  entries: EmbeddablesEntry[] | null
  /** Every accepted event, in acceptance order (duplicates included). */
  readonly events: readonly EmbeddablesReceivedEvent[]
  /** How many times each distinct request (project id + raw body) was accepted. */
  readonly deliveries: ReadonlyMap<string, number>
  readonly rejections: readonly EmbeddablesRejection[]
  /** Resolve once at least `count` events were accepted. */
  waitForEvents(count: number, timeoutMs?: number): Promise<void>
  /** Forget events, deliveries, rejections, requests and faults; `entries` back to the option. */
  reset(): void
}

// ---------------------------------------------------------------------------------------------
// Validation: pure functions returning every problem found.
// ---------------------------------------------------------------------------------------------

/** This mock's reasons call an object 'an object' (see TypeWording). */
const describeType = typeDescriber({ anObject: true })

function parseJson(text: string): { value: unknown } | null {
  try {
    return { value: JSON.parse(text) as unknown }
  } catch {
    return null
  }
}

function isRealDateTime(text: string): boolean {
  const match = RFC3339.exec(text)
  if (!match) return false
  const [year, month, day, hour, minute, second, zoneHour, zoneMinute] = match
    .slice(1)
    .map((part) => Number(part ?? 0))
  const date = new Date(Date.UTC(year!, month! - 1, day!))
  return (
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month! - 1 &&
    date.getUTCDate() === day &&
    hour! < 24 &&
    minute! < 60 &&
    second! < 60 &&
    zoneHour! < 24 &&
    zoneMinute! < 60
  )
}

function stringProblem(field: string, value: unknown): EmbeddablesProblem | null {
  if (typeof value === 'string' && value.length > 0) return null
  const got = value === '' ? '""' : describeType(value)
  return { field, reason: `is required as a non-empty string, got ${got}` }
}

function timestampProblems(value: unknown): EmbeddablesProblem[] {
  const basic = stringProblem('timestamp', value)
  if (basic) return [basic]
  if (isRealDateTime(value as string)) return []
  return [
    {
      field: 'timestamp',
      reason: `must be an ISO 8601 date-time with a time zone, got ${JSON.stringify(value)}`
    }
  ]
}

function eventNameProblems(value: unknown): EmbeddablesProblem[] {
  const basic = stringProblem('custom_event_name', value)
  if (basic) return [basic]
  if (SNAKE_CASE.test(value as string)) return []
  return [{ field: 'custom_event_name', reason: `must be snake_case, got ${JSON.stringify(value)}` }]
}

function propsProblems(value: unknown): EmbeddablesProblem[] {
  const field = 'custom_event_props'
  if (typeof value !== 'string') {
    return [{ field, reason: `must be a string holding JSON, got ${describeType(value)}` }]
  }
  const parsed = parseJson(value)
  if (!parsed) return [{ field, reason: 'is not valid JSON' }]
  if (!isPlainObject(parsed.value)) {
    return [{ field, reason: `must hold a JSON object, got ${describeType(parsed.value)}` }]
  }
  return []
}

function identifierValueProblems(value: unknown): EmbeddablesProblem[] {
  const field = 'identifiers[0].value'
  if (typeof value !== 'string') {
    return [{ field, reason: `must be a string holding a JSON-encoded value, got ${describeType(value)}` }]
  }
  const parsed = parseJson(value)
  if (!parsed) return [{ field, reason: `is not JSON-encoded (quotes included): ${value}` }]
  const decoded = parsed.value
  if ((typeof decoded === 'string' && decoded !== '') || typeof decoded === 'number') return []
  return [{ field, reason: `must encode a non-empty string or a number, got ${JSON.stringify(decoded)}` }]
}

function identifierProblems(value: unknown): EmbeddablesProblem[] {
  if (!Array.isArray(value)) {
    return [{ field: 'identifiers', reason: `must be an array, got ${describeType(value)}` }]
  }
  if (value.length !== 1) {
    return [{ field: 'identifiers', reason: `must hold exactly one identifier, got ${value.length}` }]
  }
  const identifier: unknown = value[0]
  if (!isPlainObject(identifier)) {
    return [
      { field: 'identifiers[0]', reason: `must be an object {key, value}, got ${describeType(identifier)}` }
    ]
  }
  const keyProblem = stringProblem('identifiers[0].key', identifier.key)
  return [
    ...unknownFieldProblems(identifier, ['key', 'value'], 'identifiers[0].'),
    ...(keyProblem ? [keyProblem] : []),
    ...identifierValueProblems(identifier.value)
  ]
}

/** Every problem with one event body; empty when the contract accepts it. */
export function validateEmbeddablesEvent(value: unknown): EmbeddablesProblem[] {
  if (!isPlainObject(value))
    return [{ field: 'body', reason: `must be an object, got ${describeType(value)}` }]
  const embeddableProblem = stringProblem('embeddable_id', value.embeddable_id)
  return [
    ...unknownFieldProblems(value, EMBEDDABLES_EVENT_FIELDS),
    ...(embeddableProblem ? [embeddableProblem] : []),
    ...timestampProblems(value.timestamp),
    ...eventNameProblems(value.custom_event_name),
    ...propsProblems(value.custom_event_props),
    ...identifierProblems(value.identifiers)
  ]
}

// ---------------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------------

function authProblem(key: string | undefined, apiKey: string): EmbeddablesProblem | null {
  if (key === undefined) return { field: 'x-api-key', reason: 'missing X-Api-Key header' }
  if (!key.startsWith(EMBEDDABLES_KEY_PREFIX)) {
    return { field: 'x-api-key', reason: `must be a restricted key starting with ${EMBEDDABLES_KEY_PREFIX}` }
  }
  return key === apiKey ? null : { field: 'x-api-key', reason: 'wrong API key' }
}

/** A malformed %-escape stays as sent: it then names a project nobody has, not a crash. */
function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}

/** The project an events path names; '' for any other path (the gate refuses those first). */
function projectIdOf(path: string): string {
  return decodePathSegment(EVENTS_PATH.exec(path)?.[1] ?? '')
}

function entryIdOf(projectId: string, identifier: EmbeddablesEntry): string {
  const digest = createHash('sha256').update(`${projectId}\n${identifier.key}\n${identifier.value}`)
  return `entry_${digest.digest('hex').slice(0, 16)}`
}

/** Start an Embeddables mock on 127.0.0.1; close() it after the test. */
export async function startMockEmbeddables(options: MockEmbeddablesOptions): Promise<MockEmbeddables> {
  const { apiKey } = options
  if (!apiKey.startsWith(EMBEDDABLES_KEY_PREFIX)) {
    throw new Error(`mock embeddables: apiKey must start with ${EMBEDDABLES_KEY_PREFIX}`)
  }
  const now = options.now ?? Date.now
  let entries = options.entries ?? null
  const events: EmbeddablesReceivedEvent[] = []
  const deliveries = new Map<string, number>()
  const rejections: EmbeddablesRejection[] = []
  const gate: RequestGate = {
    isEndpoint: (path) => EVENTS_PATH.test(path),
    authProblem: (headers) => authProblem(headers['x-api-key'], apiKey)
  }

  function refuse(path: string, status: number, error: string, problems: EmbeddablesProblem[]): MockResponse {
    rejections.push({ path, status, problems })
    const message = problems.map((p) => `${p.field}: ${p.reason}`).join('; ')
    return { status, body: { error, message: message || error, problems } }
  }

  function entryExists(identifier: EmbeddablesEntry): boolean {
    return (
      entries === null ||
      entries.some((entry) => entry.key === identifier.key && entry.value === identifier.value)
    )
  }

  function handleEvent(path: string, projectId: string, request: RecordedRequest): MockResponse {
    const problems = validateEmbeddablesEvent(request.json)
    if (problems.length > 0) return refuse(path, 400, 'invalid_event', problems)
    const body = request.json as EmbeddablesEvent
    const [sent] = body.identifiers
    const identifier: EmbeddablesEntry = { key: sent.key, value: JSON.parse(sent.value) as string | number }
    if (!entryExists(identifier)) {
      return refuse(path, 404, 'ENTRY_NOT_FOUND', [
        {
          field: 'identifiers[0]',
          reason: `no entry matches ${identifier.key} = ${JSON.stringify(identifier.value)}`
        }
      ])
    }
    const id = `evt_${randomBytes(8).toString('hex')}`
    events.push({
      id,
      projectId,
      body,
      props: JSON.parse(body.custom_event_props) as Record<string, unknown>,
      identifier,
      receivedAt: now()
    })
    const deliveryKey = `${projectId}\n${request.body}`
    deliveries.set(deliveryKey, (deliveries.get(deliveryKey) ?? 0) + 1)
    return {
      status: 200,
      body: {
        id,
        event_type: EMBEDDABLES_EVENT_TYPE,
        project_id: projectId,
        embeddable_id: body.embeddable_id,
        entry_id: entryIdOf(projectId, identifier),
        custom_event_name: body.custom_event_name,
        timestamp: body.timestamp
      }
    }
  }

  function handle(request: RecordedRequest): MockResponse {
    const path = requestUrl(request).pathname
    const refusal = requestRefusal(request, gate)
    if (refusal) {
      // Upper case like ENTRY_NOT_FOUND, which a sender must tell apart from a wrong route's 404.
      const error = refusal.error === 'not_found' ? 'NOT_FOUND' : refusal.error
      return { ...refuse(path, refusal.status, error, refusal.problems), headers: refusal.headers }
    }
    return handleEvent(path, projectIdOf(path), request)
  }

  const upstream = await startMockUpstream(handle, { name: 'mock embeddables' })

  return {
    ...upstream,
    apiKey,
    get entries() {
      return entries
    },
    set entries(next: EmbeddablesEntry[] | null) {
      entries = next
    },
    events,
    deliveries,
    rejections,
    waitForEvents(count, timeoutMs = DEFAULT_WAIT_MS) {
      return waitUntil(
        () => events.length >= count,
        timeoutMs,
        () => `mock embeddables to accept ${count} events; it has ${events.length}`
      )
    },
    reset() {
      entries = options.entries ?? null
      events.length = 0
      deliveries.clear()
      rejections.length = 0
      upstream.clearRequests()
      upstream.clearFaults()
    }
  }
}
