import type { IncomingHttpHeaders } from 'node:http'
import type { ClaimedEvent } from '../../store'
import { classifyByStatus, statusWords } from '../http-rules'
import { elementTexts, fieldText, isWholeNumberText } from '../json-text'
import { requestMessageId } from '../message-id'
import type {
  AcceptedEvent,
  Connector,
  IngestOutcome,
  IngestReply,
  IngestRequest,
  Problem,
  UpstreamAnswer,
  Verdict
} from '../types'
import { problemsOf } from '../validation'
import { EVENT_FIELDS, PROFILE_FIELDS, validateBatch, validateEvent, validateProfile } from './schema'

/**
 * UserFlux. Contract: shared/vendors/README.md, "UserFlux".
 * - Ingest: /event/ingest (one event), /event/ingest/batch ({"events":[...]}), /profile (identify),
 *   each with the optional query `locationEnrichment=true|false`. A request with any invalid event
 *   is refused whole (400, every problem listed); success is `204` with no body, like UserFlux.
 * - Auth: `Authorization: Bearer <write-only key>`, from the client and to UserFlux.
 * - Delivery: tracks go through /event/ingest/batch, at most the destination's `batchSize` (default
 *   10, what the official SDK sends); a profile call goes alone to /profile; the queue keeps each
 *   user's calls in accepted order. `locationEnrichment` is kept per event (upstreamParams) and sent on;
 *   events with different values never share a request.
 * - Only `204` is delivered. Unlike the vendor's browser SDK, which takes any answer as delivered,
 *   a 4xx/5xx never is: 401/403 hold the destination; 429/5xx are retried (Retry-After honoured on
 *   429/503, capped at 60 s); other 4xx fail the request.
 * - Unknowns, and the safe choice made:
 *   - no idempotency key: every call is stored, two equal events are two events (two purchases in
 *     one millisecond) and two equal profile calls two calls; a client that retries sends an
 *     `Idempotency-Key` header to be stored once (message-id.ts);
 *   - `timestamp`: a whole number of milliseconds from 2000-01-01 up to 2100-01-01, judged on its
 *     digits as sent (not on the nearest double), never against the clock (kiosk clocks drift;
 *     offline events are old); seconds and microseconds are refused with words saying so;
 *   - `userId`/`anonymousId`: a non-empty string or null; null means absent (the official SDKs send
 *     `userId: null` before login and `anonymousId: null` from the backend); one is required;
 *     `userId` is the user key when both are set. `externalId`, `sessionId`: string or null;
 *     `deviceData`: object or null. `properties` is required on events and profiles;
 *   - unknown fields on an event or profile are accepted and forwarded unchanged, and named in the
 *     header `x-outpost-unknown-fields`: the vendor's SDKs ignore every answer, so refusing a field
 *     a newer SDK adds would lose its events silently, while an upstream refusal is kept as a
 *     failed event a person can see, edit and resend. What Outpost rebuilds itself (the batch
 *     envelope, the query) cannot carry unknown names, so those are refused;
 *   - an empty batch is refused; a batch has no upper bound at ingest (the body limit applies);
 *   - max batch size and error codes: `400`, `413` and `422` on a batch of more than one event
 *     resend it in halves until the refused event stands alone and fails by itself;
 *   - a 2xx other than `204` is not the contract's answer (a wrong baseUrl, a proxy): it is not
 *     counted as delivered; the events fail for a person to check, instead of being lost;
 *   - `locationEnrichment` absent: it is not sent, and UserFlux applies its default;
 *   - rate limits and dedupe window: none assumed.
 */

const DEFAULT_BATCH = 10
const EARLIEST_TIMESTAMP = Date.UTC(2000, 0, 1)
const LATEST_TIMESTAMP = Date.UTC(2100, 0, 1)
const QUERY_PARAMETER = 'locationEnrichment'
const UNKNOWN_FIELDS_HEADER = 'x-outpost-unknown-fields'
const MAX_HEADER_LENGTH = 1000

interface UserIds {
  userId?: string | null
  anonymousId?: string | null
}

interface UserFluxEvent extends UserIds {
  name: string
  timestamp: number
}

/** What the upstream request needs besides the body, stored with each event. */
interface UpstreamParams {
  locationEnrichment?: string
}

const at = (index?: number) => (index === undefined ? {} : { index })

/** `written` is the number's own text: a fraction too small for a double still makes it not whole. */
function timestampProblem(value: number, written: string): string | null {
  if (!isWholeNumberText(written)) return `must be a whole number of epoch milliseconds, got ${written}`
  if (value >= EARLIEST_TIMESTAMP && value < LATEST_TIMESTAMP) return null
  if (value >= EARLIEST_TIMESTAMP / 1000 && value < LATEST_TIMESTAMP / 1000) {
    return `must be epoch milliseconds; ${value} looks like seconds (send ${value * 1000})`
  }
  if (value >= EARLIEST_TIMESTAMP * 1000 && value < LATEST_TIMESTAMP * 1000) {
    return `must be epoch milliseconds; ${value} looks like microseconds (send ${Math.floor(value / 1000)})`
  }
  return `must be epoch milliseconds from 2000-01-01 (${EARLIEST_TIMESTAMP}) up to 2100-01-01 (${LATEST_TIMESTAMP}), got ${value}`
}

function userProblem(value: UserIds, index?: number): Problem[] {
  // `!= null`: undefined and null both mean "not given"; a wrong type is the schema's to report.
  if (value.userId != null || value.anonymousId != null) return []
  return [{ ...at(index), field: 'userId', reason: 'or anonymousId is required (null counts as absent)' }]
}

function isObject(value: unknown): value is object {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/** `text` is the event's JSON text as sent. */
function eventProblems(value: unknown, text: string, index?: number): Problem[] {
  const problems = problemsOf(validateEvent, value, index)
  if (!isObject(value)) return problems
  const event = value as UserFluxEvent
  problems.push(...userProblem(event, index))
  if (typeof event.timestamp === 'number') {
    const reason = timestampProblem(event.timestamp, fieldText(text, 'timestamp') as string)
    if (reason) problems.push({ ...at(index), field: 'timestamp', reason })
  }
  return problems
}

function profileProblems(value: unknown): Problem[] {
  const problems = problemsOf(validateProfile, value)
  if (isObject(value)) problems.push(...userProblem(value as UserIds))
  return problems
}

function queryProblems(query: IngestRequest['query']): Problem[] {
  const problems: Problem[] = Object.keys(query)
    .filter((name) => name !== QUERY_PARAMETER)
    .map((name) => ({
      field: `query.${name}`,
      reason: `is not a query parameter of this API (only ${QUERY_PARAMETER}=true|false)`
    }))
  const value = query[QUERY_PARAMETER]
  if (value !== undefined && value !== 'true' && value !== 'false') {
    problems.push({
      field: `query.${QUERY_PARAMETER}`,
      reason: `must be true or false, got ${JSON.stringify(value)}`
    })
  }
  return problems
}

function upstreamParamsOf(query: IngestRequest['query']): UpstreamParams {
  const value = query[QUERY_PARAMETER]
  return value === undefined ? {} : { locationEnrichment: value }
}

const storedParams = (params: UpstreamParams) =>
  params.locationEnrichment === undefined ? null : JSON.stringify(params)

function userKeyOf(value: UserIds): string | null {
  return value.userId ?? value.anonymousId ?? null
}

function unknownFields(value: object, known: readonly string[]): string[] {
  return Object.keys(value).filter((field) => !known.includes(field))
}

/** Valid in JSON text (`"\ud800"`) but with no UTF-8 form: encodeURIComponent throws on it. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

/** A field name as header text: UTF-8, URI-encoded, a lone surrogate as U+FFFD. */
function headerText(field: string): string {
  return encodeURIComponent(field.replace(LONE_SURROGATE, '\uFFFD'))
}

/** A header value must be short, visible ASCII: each name once, URI-encoded, the list cut. */
function unknownFieldsHeader(fields: string[]): string {
  const listed = [...new Set(fields)].map(headerText).join(', ')
  return listed.length > MAX_HEADER_LENGTH ? `${listed.slice(0, MAX_HEADER_LENGTH)}...` : listed
}

/** UserFlux's own success answer; unknown fields that were forwarded are named for testers. */
function noContent(unknown: string[]): () => IngestReply {
  const headers = unknown.length ? { headers: { [UNKNOWN_FIELDS_HEADER]: unknownFieldsHeader(unknown) } } : {}
  return () => ({ status: 204, ...headers })
}

/** The i-th event of a request, stored as the client's own text of it. */
function toTrack(request: IngestRequest, event: UserFluxEvent, text: string, index: number): AcceptedEvent {
  return {
    ...requestMessageId('userflux', request, index),
    kind: 'track',
    name: event.name,
    userKey: userKeyOf(event),
    occurredAt: event.timestamp,
    payload: text,
    upstreamParams: storedParams(upstreamParamsOf(request.query))
  }
}

function refused(problems: Problem[]): IngestOutcome {
  return { ok: false, status: 400, problems }
}

function acceptEvent(request: IngestRequest): IngestOutcome {
  const { body, query } = request
  const text = request.text.trim()
  const problems = [...queryProblems(query), ...eventProblems(body, text)]
  if (problems.length) return refused(problems)
  const event = body as UserFluxEvent
  return {
    ok: true,
    events: [toTrack(request, event, text, 0)],
    reply: noContent(unknownFields(event, EVENT_FIELDS))
  }
}

function acceptBatch(request: IngestRequest): IngestOutcome {
  const { body, query } = request
  const shape = [...queryProblems(query), ...problemsOf(validateBatch, body)]
  if (shape.length) return refused(shape)
  const events = (body as { events: unknown[] }).events
  const texts = elementTexts(request.text, 'events')
  const problems = events.flatMap((event, index) => eventProblems(event, texts[index] as string, index))
  if (problems.length) return refused(problems)
  const valid = events as UserFluxEvent[]
  return {
    ok: true,
    events: valid.map((event, index) => toTrack(request, event, texts[index] as string, index)),
    reply: noContent(valid.flatMap((event) => unknownFields(event, EVENT_FIELDS)))
  }
}

function acceptProfile(request: IngestRequest): IngestOutcome {
  const { body, query } = request
  const problems = [...queryProblems(query), ...profileProblems(body)]
  if (problems.length) return refused(problems)
  const profile = body as UserIds
  const event: AcceptedEvent = {
    ...requestMessageId('userflux_profile', request),
    kind: 'identify',
    name: 'profile',
    userKey: userKeyOf(profile),
    occurredAt: null,
    payload: request.text.trim(),
    upstreamParams: storedParams(upstreamParamsOf(query))
  }
  return { ok: true, events: [event], reply: noContent(unknownFields(profile, PROFILE_FIELDS)) }
}

function clientKey(headers: IncomingHttpHeaders): string | undefined {
  return /^Bearer\s+(.+)$/i.exec(headers.authorization ?? '')?.[1]
}

function queryString(upstreamParams: string | null): string {
  if (upstreamParams === null) return ''
  return `?${new URLSearchParams(JSON.parse(upstreamParams) as Record<string, string>).toString()}`
}

/** Refusals that may come from one event of a batch: resend in halves to find it. */
const SPLIT_STATUSES = [400, 413, 422]

function classifyResponse(answer: UpstreamAnswer, batchSize: number, now: number): Verdict {
  const { status } = answer
  if (status === 204) return { outcome: 'ok', reason: 'accepted (204)' }
  if (status >= 200 && status < 300) {
    return {
      outcome: 'permanent',
      reason: `UserFlux answered ${statusWords(answer)} instead of 204: not counted as delivered; check the destination's baseUrl, then resend`
    }
  }
  if (SPLIT_STATUSES.includes(status) && batchSize > 1) {
    return {
      outcome: 'permanent',
      split: true,
      reason: `UserFlux refused the batch of ${batchSize} (${statusWords(answer)}); resending in halves`
    }
  }
  return classifyByStatus('UserFlux', answer, now)
}

export const userflux: Connector = {
  vendor: 'userflux',
  label: 'UserFlux',
  defaultBaseUrl: 'https://integration-api.userflux.co',
  apiKeyEnv: 'USERFLUX_API_KEY',
  routes: [
    { path: '/event/ingest', accept: acceptEvent },
    { path: '/event/ingest/batch', accept: acceptBatch },
    { path: '/profile', accept: acceptProfile }
  ],
  editRoutes: { track: '/event/ingest', identify: '/profile' },
  clientKey,
  clientHeaders: ['authorization'],
  keyHeaders: (key) => ({ Authorization: `Bearer ${key}` }),
  example: (now) => ({
    path: '/event/ingest',
    body: JSON.stringify({
      userId: 'user_123',
      name: 'signup_completed',
      timestamp: now,
      properties: { plan: 'pro' }
    })
  }),
  batchLimit: (kind) => (kind === 'track' ? DEFAULT_BATCH : 1),
  buildRequest(events: ClaimedEvent[], { apiKey }) {
    const [first] = events as [ClaimedEvent]
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` }
    const query = queryString(first.upstreamParams)
    if (first.kind === 'identify') return { path: `/profile${query}`, headers, body: first.payload }
    return {
      path: `/event/ingest/batch${query}`,
      headers,
      body: `{"events":[${events.map((event) => event.payload).join(',')}]}`
    }
  },
  classifyResponse
}
