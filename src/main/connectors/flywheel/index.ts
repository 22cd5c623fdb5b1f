import type { IncomingHttpHeaders } from 'node:http'
import type { ClaimedEvent } from '../../store'
import { classifyByStatus, statusWords } from '../http-rules'
import { requestMessageId } from '../message-id'
import type {
  AcceptedEvent,
  Connector,
  IngestOutcome,
  IngestRequest,
  UpstreamAnswer,
  Verdict
} from '../types'
import { problemsOf, SNAKE_CASE } from '../validation'
import { validateRequest } from './schema'

/**
 * Flywheel. Contract: shared/vendors/README.md, "Flywheel".
 * - Ingest: POST /v1/events with `{"event": {...}}` (the outer wrapper is required), one event per
 *   request; an invalid request is refused whole (400, every problem listed), nothing stored.
 *   Success is answered like Flywheel: `200 {"success":true,"message":"Event tracked successfully"}`.
 * - Auth: `Authorization: <key>` (raw, no `Bearer`) and `Auth-Type: api`; the client's key is the
 *   Authorization header (its `Auth-Type` is not checked: it carries no secret). Both headers go
 *   upstream on every request.
 * - Event: `event` (the name, required), optional `user_id`, `org_assigned_user_id`,
 *   `anonymous_id`, `identify` (boolean), and `properties` whose values are strings, numbers,
 *   booleans or ISO 8601 date-time strings; objects, arrays and null are refused, naming
 *   `event.properties.<name>`. `identify` and the identifiable properties (`email`, `full_name`,
 *   `stripe_customer_id`, ...) are passed through untouched: Flywheel does the profile work.
 * - Delivery: one event per request to /v1/events, the body exactly as the client sent it. An
 *   `identify: true` event is an ordinary `track` in the queue, which keeps each user's order, so
 *   it keeps its place among the user's other events. The user key shown in Outpost follows Flywheel's lookup order
 *   (user_id, org_assigned_user_id, stripe_customer_id, email, anonymous_id, primary_email,
 *   primary_phone, phone).
 * - Answers: `>= 400` is a failure: 401/403 hold the destination; 429/5xx retried (Retry-After
 *   honoured on 429/503, capped at 60 s); other 4xx permanent.
 * - Unknowns, and the safe choice made:
 *   - event names: snake_case is advised, not required: another name is accepted and sent as is,
 *     and the reply carries `x-outpost-warnings` saying so, for testers;
 *   - `properties` is required (the contract marks the optional fields with `?`, not this one);
 *     `{}` is fine. User ids are non-empty strings or numbers, `anonymous_id` a non-empty string;
 *     no user field is required (Flywheel can also look users up by properties);
 *   - fields outside the documented ones are refused, in the wrapper and in the event: the shape
 *     is documented in full, so an extra field is most likely a typo a tester should see now;
 *   - no timestamp field is documented, so none is accepted: Flywheel presumably dates an event
 *     when it receives it, so an event held offline may be dated at delivery, not at capture;
 *   - no idempotency key and no time in the event: every call is stored, two equal bodies are two
 *     events, unless the client sends them with the same `Idempotency-Key` header.
 *     Upstream, a resend after a timeout or reset (outcome unknown) MAY duplicate the event at
 *     Flywheel; Outpost still resends, because losing an acknowledged event is worse;
 *   - a 2xx whose JSON body says `"success": false` is not counted as delivered (permanent, for a
 *     person to see); a 3xx is not a success either (a wrong base URL), and fails the same way;
 *   - batching, rate limits, dedupe: none assumed, one event a request.
 */

const WARNINGS_HEADER = 'x-outpost-warnings'
const TRACKED = { success: true, message: 'Event tracked successfully' }
const snakeCase = new RegExp(SNAKE_CASE)

type PropertyValue = string | number | boolean

interface FlywheelEvent {
  event: string
  user_id?: string | number
  org_assigned_user_id?: string | number
  anonymous_id?: string
  identify?: boolean
  properties: Record<string, PropertyValue>
}

/** The user Flywheel would find, first match in its lookup order; null when the event names none. */
function userKeyOf(event: FlywheelEvent): string | null {
  const { properties } = event
  const candidates: unknown[] = [
    event.user_id,
    event.org_assigned_user_id,
    properties.stripe_customer_id,
    properties.email,
    event.anonymous_id,
    properties.primary_email,
    properties.primary_phone,
    properties.phone
  ]
  const found = candidates.find(
    (value) => typeof value === 'number' || (typeof value === 'string' && value !== '')
  )
  return found === undefined ? null : String(found)
}

function warningsFor(event: FlywheelEvent): Record<string, string> {
  if (snakeCase.test(event.event)) return {}
  // The name itself stays out of the header: it may hold characters a header cannot carry.
  return {
    [WARNINGS_HEADER]: 'event.event is not snake_case, which Flywheel advises; accepted and sent as is'
  }
}

function acceptEvent(request: IngestRequest): IngestOutcome {
  const { body } = request
  const problems = problemsOf(validateRequest, body)
  if (problems.length) return { ok: false, status: 400, problems }
  const { event } = body as { event: FlywheelEvent }
  const accepted: AcceptedEvent = {
    ...requestMessageId('flywheel', request),
    kind: 'track',
    name: event.event,
    userKey: userKeyOf(event),
    occurredAt: null,
    payload: request.text.trim(),
    upstreamParams: null
  }
  const headers = warningsFor(event)
  return { ok: true, events: [accepted], reply: () => ({ status: 200, body: TRACKED, headers }) }
}

/** True when a JSON answer says `"success": false` despite its status. */
function reportsFailure(body: string): boolean {
  try {
    const parsed = JSON.parse(body) as unknown
    return (
      typeof parsed === 'object' && parsed !== null && (parsed as { success?: unknown }).success === false
    )
  } catch {
    return false
  }
}

function classifyResponse(answer: UpstreamAnswer, _batchSize: number, now: number): Verdict {
  const verdict = classifyByStatus('Flywheel', answer, now)
  if (verdict.outcome !== 'ok' || !reportsFailure(answer.body)) return verdict
  return {
    outcome: 'permanent',
    reason: `Flywheel answered ${answer.status} but reported a failure (${statusWords(answer)})`
  }
}

export const flywheel: Connector = {
  vendor: 'flywheel',
  label: 'Flywheel',
  defaultBaseUrl: 'https://api.flywheel.cx',
  apiKeyEnv: 'FLYWHEEL_API_KEY',
  routes: [{ path: '/v1/events', accept: acceptEvent }],
  editRoutes: { track: '/v1/events' },
  clientKey: (headers: IncomingHttpHeaders) => headers.authorization,
  clientHeaders: ['authorization', 'auth-type'],
  keyHeaders: (key) => ({ Authorization: key, 'Auth-Type': 'api' }),
  example: () => ({
    path: '/v1/events',
    body: JSON.stringify({
      event: { event: 'trial_started', user_id: 'user_123', properties: { plan: 'pro' } }
    })
  }),
  batchLimit: () => 1,
  buildRequest(events: ClaimedEvent[], { apiKey }) {
    const [event] = events as [ClaimedEvent]
    return {
      path: '/v1/events',
      headers: { 'content-type': 'application/json', authorization: apiKey, 'auth-type': 'api' },
      body: event.payload
    }
  },
  classifyResponse
}
