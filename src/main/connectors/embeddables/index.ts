import type { IncomingHttpHeaders } from 'node:http'
import type { ClaimedEvent } from '../../store'
import { classifyByStatus, statusWords, truncate } from '../http-rules'
import { requestMessageId } from '../message-id'
import type {
  AcceptedEvent,
  Connector,
  IngestOutcome,
  IngestRequest,
  Problem,
  UpstreamAnswer,
  Verdict
} from '../types'
import { problemsOf } from '../validation'
import { validateEvent } from './schema'

/**
 * Embeddables. Contract: shared/vendors/README.md, "Embeddables".
 * - Ingest: POST /projects/{projectId}/events, one event per request, no batch route; a request
 *   with anything invalid is refused whole (400, every problem listed) and nothing is stored.
 * - Auth: `X-Api-Key` (restricted keys start with `rk_`), from the client and to Embeddables.
 * - Body, all required: `embeddable_id` (a non-empty string; `flow_...` is the documented example,
 *   not a rule), `timestamp` (ISO 8601), `custom_event_name` (snake_case), `custom_event_props`
 *   (a string holding a JSON object) and `identifiers` (exactly one `{key, value}`, `value` a
 *   string holding a JSON-encoded value, quotes included: `"\"test@test.com\""`).
 * - Delivery: one event per request to /projects/{projectId}/events, the project id kept with the
 *   event (upstreamParams); the body goes out exactly as the client sent it. 2xx delivered;
 *   `404` with `ENTRY_NOT_FOUND` is permanent (no entry matches the identifier: resending cannot
 *   help until a person fixes it); 401/403 hold the destination; 429/5xx retried (Retry-After
 *   honoured on 429/503, capped at 60 s); other 4xx permanent.
 * - Unknowns, and the safe choice made:
 *   - no idempotency key: every call is stored, two equal bodies are two events (nothing tells a
 *     retry from a second call), unless the client sends them with the same `Idempotency-Key`.
 *     Upstream, a resend after a timeout or reset (outcome unknown) MAY duplicate the event at
 *     Embeddables; Outpost still resends, because losing an acknowledged event is worse;
 *   - the success body is not documented beyond "describes the stored event"
 *     (`event_type: "custom_event:triggered"`, ids): Outpost answers 200 with
 *     `{id, event_type, project_id, embeddable_id, custom_event_name, timestamp}`, where `id` is
 *     Outpost's message id (the vendor's ids exist only after delivery);
 *   - fields outside the five documented ones are refused: the body is documented in full, so
 *     an extra field is most likely a typo (`custom_event_properties`) a tester should see now;
 *   - `timestamp`: ISO 8601 in its RFC 3339 form, with seconds and a time zone (`Z` or `±hh:mm`),
 *     a real calendar date; never judged against the clock (kiosk clocks drift, offline events
 *     are old);
 *   - an identifier `value` must encode a non-empty string or a number: null, true/false,
 *     objects and arrays cannot name an entry; `key` is any non-empty string;
 *   - a 404 without `ENTRY_NOT_FOUND` (a wrong project id or base URL) is permanent too;
 *   - other status codes, rate limits and batch support: the general rules, one event a request.
 */

const EVENT_TYPE = 'custom_event:triggered'
const ENTRY_NOT_FOUND = /\bENTRY_NOT_FOUND\b/
const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:Z|[+-](\d{2}):(\d{2}))$/
const TIMESTAMP_EXAMPLE = 'e.g. "2026-06-14T12:00:00.000Z" or "2026-06-14T14:00:00+02:00"'

interface Identifier {
  key: string
  value: string
}

interface EmbeddablesEvent {
  embeddable_id: string
  timestamp: string
  custom_event_name: string
  custom_event_props: string
  identifiers: [Identifier]
}

/** What the upstream request needs besides the body, stored with each event. */
interface UpstreamParams {
  projectId: string
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

function parseJson(text: string): { value: unknown } | null {
  try {
    return { value: JSON.parse(text) as unknown }
  } catch {
    return null
  }
}

function jsonKind(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'boolean') return 'true or false'
  return `${typeof value === 'object' ? 'an' : 'a'} ${typeof value}`
}

function isCalendarDateTime(fields: number[]): boolean {
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, offsetHour = 0, offsetMinute = 0] =
    fields
  const date = new Date(Date.UTC(year, month - 1, day))
  const realDay =
    date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day
  return realDay && hour <= 23 && minute <= 59 && second <= 59 && offsetHour <= 23 && offsetMinute <= 59
}

function timestampProblem(value: string): string | null {
  const match = ISO_DATE_TIME.exec(value)
  const fields = match?.slice(1).map((part) => Number(part ?? 0))
  if (fields && isCalendarDateTime(fields)) return null
  return `must be an ISO 8601 date-time with seconds and a time zone, ${TIMESTAMP_EXAMPLE}; got ${JSON.stringify(truncate(value, 60))}`
}

function propsProblem(text: string): string | null {
  const parsed = parseJson(text)
  if (!parsed) {
    return `must hold valid JSON, e.g. "{\\"my_prop\\": \\"my_val\\"}"; ${JSON.stringify(truncate(text, 60))} is not JSON`
  }
  return isObject(parsed.value) ? null : `must hold a JSON object ({...}), got ${jsonKind(parsed.value)}`
}

function identifierValueProblem(text: string): string | null {
  const parsed = parseJson(text)
  if (!parsed) {
    return `must be JSON-encoded, quotes included: for the text ${truncate(text, 60)} send ${JSON.stringify(JSON.stringify(text))}`
  }
  if (parsed.value === '') return 'encodes an empty string, which names no entry'
  if (typeof parsed.value === 'string' || typeof parsed.value === 'number') return null
  return `must encode a string or a number that names an entry, got ${jsonKind(parsed.value)}`
}

/** The checks ajv cannot make, each run when its field has the right type. */
function contentProblems(event: Partial<EmbeddablesEvent>): Problem[] {
  const problems: Problem[] = []
  const add = (field: string, reason: string | null) => {
    if (reason) problems.push({ field, reason })
  }
  if (typeof event.timestamp === 'string') add('timestamp', timestampProblem(event.timestamp))
  if (typeof event.custom_event_props === 'string')
    add('custom_event_props', propsProblem(event.custom_event_props))
  const identifier: unknown = Array.isArray(event.identifiers) ? event.identifiers[0] : undefined
  if (isObject(identifier) && typeof identifier.value === 'string')
    add('identifiers.0.value', identifierValueProblem(identifier.value))
  return problems
}

function eventProblems(body: unknown, projectId: string): Problem[] {
  const problems: Problem[] = []
  if (projectId === '') {
    problems.push({
      field: 'projectId',
      reason: 'the project id in the path /projects/{projectId}/events is missing'
    })
  }
  problems.push(...problemsOf(validateEvent, body))
  if (isObject(body)) problems.push(...contentProblems(body as Partial<EmbeddablesEvent>))
  return problems
}

/** The decoded identifier value, e.g. `test@test.com`, as the user key. */
function userKeyOf(event: EmbeddablesEvent): string {
  const [identifier] = event.identifiers
  return String(JSON.parse(identifier.value))
}

function acceptEvent(request: IngestRequest): IngestOutcome {
  const { body, params } = request
  const projectId = params.projectId ?? ''
  const problems = eventProblems(body, projectId)
  if (problems.length) return { ok: false, status: 400, problems }
  const event = body as EmbeddablesEvent
  const upstreamParams: UpstreamParams = { projectId }
  const identity = requestMessageId('embeddables', request)
  const accepted: AcceptedEvent = {
    ...identity,
    kind: 'track',
    name: event.custom_event_name,
    userKey: userKeyOf(event),
    occurredAt: Date.parse(event.timestamp),
    payload: request.text.trim(),
    upstreamParams: JSON.stringify(upstreamParams)
  }
  return {
    ok: true,
    events: [accepted],
    reply: () => ({
      status: 200,
      body: {
        id: identity.messageId,
        event_type: EVENT_TYPE,
        project_id: projectId,
        embeddable_id: event.embeddable_id,
        custom_event_name: event.custom_event_name,
        timestamp: event.timestamp
      }
    })
  }
}

function projectIdOf(event: ClaimedEvent): string {
  const params = JSON.parse(event.upstreamParams ?? 'null') as Partial<UpstreamParams> | null
  if (!params?.projectId)
    throw new Error(`Embeddables event ${event.messageId} was stored without its projectId`)
  return params.projectId
}

function classifyResponse(answer: UpstreamAnswer, _batchSize: number, now: number): Verdict {
  if (answer.status !== 404) return classifyByStatus('Embeddables', answer, now)
  if (ENTRY_NOT_FOUND.test(answer.body)) {
    return {
      outcome: 'permanent',
      reason:
        "Embeddables found no entry matching the event's identifier (404 ENTRY_NOT_FOUND): resending cannot help until identifiers[0] names an existing entry"
    }
  }
  return {
    outcome: 'permanent',
    reason: `Embeddables answered 404 without ENTRY_NOT_FOUND (${statusWords(answer)}): check the project id and the base URL`
  }
}

export const embeddables: Connector = {
  vendor: 'embeddables',
  label: 'Embeddables',
  defaultBaseUrl: 'https://api.embeddables.com',
  apiKeyEnv: 'EMBEDDABLES_API_KEY',
  routes: [{ path: '/projects/:projectId/events', accept: acceptEvent }],
  editRoutes: { track: '/projects/:projectId/events' },
  clientKey: (headers: IncomingHttpHeaders) => {
    const key = headers['x-api-key']
    return typeof key === 'string' ? key : undefined
  },
  clientHeaders: ['x-api-key'],
  keyHeaders: (key) => ({ 'X-Api-Key': key }),
  example: (now) => ({
    path: '/projects/proj_example/events',
    body: JSON.stringify({
      embeddable_id: 'flow_example',
      timestamp: new Date(now).toISOString(),
      custom_event_name: 'quiz_completed',
      custom_event_props: JSON.stringify({ score: 42 }),
      identifiers: [{ key: 'email', value: JSON.stringify('test@test.com') }]
    })
  }),
  batchLimit: () => 1,
  buildRequest(events: ClaimedEvent[], { apiKey }) {
    const [event] = events as [ClaimedEvent]
    return {
      path: `/projects/${encodeURIComponent(projectIdOf(event))}/events`,
      headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
      body: event.payload
    }
  },
  classifyResponse
}
