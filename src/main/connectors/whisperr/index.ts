import { randomUUID } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import type { ClaimedEvent } from '../../store'
import { classifyByStatus, statusWords } from '../http-rules'
import { elementTexts } from '../json-text'
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
import { MAX_BATCH, validateBatch, validateEvent, validateIdentify } from './schema'

/**
 * Whisperr (churn signals). Contract: shared/vendors/README.md, "Whisperr".
 * - Ingest: /v1/events/track, /v1/events/batch, /v1/identify; a request with any invalid event is
 *   refused whole (400, every problem listed) so nothing invalid is half-stored.
 * - Track events are delivered through /v1/events/batch (1..500); identify goes alone, in order.
 * - Unknown upstream error bodies and dedupe window: we rely on `context.$message_id`, kept
 *   unchanged across retries, and resend a batch in halves when the server refuses part of it.
 */

const WINDOW_PAST_MS = 30 * 24 * 60 * 60 * 1000
const WINDOW_FUTURE_MS = 5 * 60 * 1000
const OCCURRED_AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

interface WhisperrEvent {
  external_user_id?: string
  anonymous_id?: string
  event_type: string
  occurred_at: string
  properties?: Record<string, unknown>
  context: { $message_id: string }
}

interface WhisperrIdentify {
  external_user_id?: string
  anonymous_id?: string
}

function describeWindow(occurredAt: number, now: number): string {
  const minutes = Math.round((occurredAt - now) / 60_000)
  const offset =
    minutes >= 0 ? `${minutes} minutes in the future` : `${Math.round(-minutes / 1440)} days in the past`
  return `timestamp_out_of_window: it is ${offset}; accepted from 30 days before to 5 minutes after now`
}

/** The number written in `length` digits from `at`. */
function digitsAt(text: string, at: number, length: number): number {
  let number = 0
  for (let index = at; index < at + length; index++) number = number * 10 + text.charCodeAt(index) - 48
  return number
}

/**
 * The instant an `occurred_at` names, or NaN unless it is an RFC 3339 UTC time with milliseconds
 * that toISOString would write back the same. Date.parse checks every field's range but two: it
 * reads hour 24 as the next midnight and a day past the month's end (February 30) as a day of the
 * next month, so those two are checked here, without building the time's text again (a third of
 * this check's cost, on every event).
 */
function occurredAtTime(value: string): number {
  if (!OCCURRED_AT.test(value)) return NaN
  const time = Date.parse(value)
  if (Number.isNaN(time) || digitsAt(value, 11, 2) === 24) return NaN
  const day = digitsAt(value, 8, 2)
  return day < 29 || new Date(time).getUTCDate() === day ? time : NaN
}

function occurredAtProblem(value: string, now: number): string | null {
  const parsed = occurredAtTime(value)
  if (Number.isNaN(parsed)) {
    return 'must be an RFC 3339 UTC time with milliseconds and a Z suffix, e.g. "2026-06-14T12:00:00.000Z"'
  }
  if (parsed < now - WINDOW_PAST_MS || parsed > now + WINDOW_FUTURE_MS) return describeWindow(parsed, now)
  return null
}

function userProblem(value: WhisperrIdentify, index?: number): Problem[] {
  if (value.external_user_id !== undefined || value.anonymous_id !== undefined) return []
  return [
    {
      ...(index === undefined ? {} : { index }),
      field: 'external_user_id',
      reason: 'or anonymous_id is required'
    }
  ]
}

function eventProblems(value: unknown, now: number, index?: number): Problem[] {
  const problems = problemsOf(validateEvent, value, index)
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return problems
  const event = value as WhisperrEvent
  problems.push(...userProblem(event, index))
  if (typeof event.occurred_at === 'string') {
    const reason = occurredAtProblem(event.occurred_at, now)
    if (reason) problems.push({ ...(index === undefined ? {} : { index }), field: 'occurred_at', reason })
  }
  return problems
}

/** A track event, stored as the client's own text of it. */
function toTrack(event: WhisperrEvent, text: string): AcceptedEvent {
  return {
    messageId: event.context.$message_id,
    kind: 'track',
    name: event.event_type,
    userKey: event.external_user_id ?? event.anonymous_id ?? null,
    occurredAt: Date.parse(event.occurred_at),
    payload: text,
    upstreamParams: null
  }
}

const accepted = (count: number) => () => ({ status: 202, body: { accepted: count, rejected: 0 } })

function acceptTrack({ body, text, now }: IngestRequest): IngestOutcome {
  const problems = eventProblems(body, now)
  if (problems.length) return { ok: false, status: 400, problems }
  return { ok: true, events: [toTrack(body as WhisperrEvent, text.trim())], reply: accepted(1) }
}

function acceptBatch({ body, text, now }: IngestRequest): IngestOutcome {
  const shape = problemsOf(validateBatch, body)
  if (shape.length) return { ok: false, status: 400, problems: shape }
  const events = (body as { events: unknown[] }).events
  const problems = events.flatMap((event, index) => eventProblems(event, now, index))
  if (problems.length) return { ok: false, status: 400, problems }
  const texts = elementTexts(text, 'events')
  const tracks = (events as WhisperrEvent[]).map((event, index) => toTrack(event, texts[index] as string))
  return { ok: true, events: tracks, reply: accepted(tracks.length) }
}

function acceptIdentify(request: IngestRequest): IngestOutcome {
  const { body } = request
  const problems = problemsOf(validateIdentify, body)
  if (problems.length === 0) problems.push(...userProblem(body as WhisperrIdentify))
  if (problems.length) return { ok: false, status: 400, problems }
  const identify = body as WhisperrIdentify
  const event: AcceptedEvent = {
    // Identify carries no key of its own: two equal calls are two calls (plan pro, basic, pro).
    ...requestMessageId('identify', request),
    kind: 'identify',
    name: 'identify',
    userKey: identify.external_user_id ?? identify.anonymous_id ?? null,
    occurredAt: null,
    payload: request.text.trim(),
    upstreamParams: null
  }
  return { ok: true, events: [event], reply: accepted(1) }
}

function clientKey(headers: IncomingHttpHeaders): string | undefined {
  const key = headers['x-api-key']
  if (typeof key === 'string') return key
  const bearer = /^Bearer\s+(.+)$/i.exec(headers.authorization ?? '')
  return bearer?.[1]
}

function batchCounts(body: string): { accepted: number; rejected: number } | null {
  try {
    const parsed = JSON.parse(body) as { accepted?: unknown; rejected?: unknown }
    if (typeof parsed.accepted === 'number' && typeof parsed.rejected === 'number') {
      return { accepted: parsed.accepted, rejected: parsed.rejected }
    }
  } catch {
    // Not every server version answers with counts; the status class decides then.
  }
  return null
}

function classifyResponse(answer: UpstreamAnswer, batchSize: number, now: number): Verdict {
  const { status } = answer
  if (status >= 200 && status < 300) {
    const counts = batchCounts(answer.body)
    if (!counts || counts.rejected === 0) return { outcome: 'ok', reason: `accepted (${status})` }
    if (batchSize === 1) {
      return {
        outcome: 'permanent',
        reason: `Whisperr rejected the event as invalid (${statusWords(answer)})`
      }
    }
    return {
      outcome: 'permanent',
      split: true,
      reason: `Whisperr rejected ${counts.rejected} of ${batchSize} events without naming them; resending in halves to find them`
    }
  }
  if ((status === 400 || status === 413) && batchSize > 1) {
    return {
      outcome: 'permanent',
      split: true,
      reason: `Whisperr refused the batch of ${batchSize} (${statusWords(answer)}); resending in halves`
    }
  }
  return classifyByStatus('Whisperr', answer, now)
}

export const whisperr: Connector = {
  vendor: 'whisperr',
  label: 'Whisperr',
  defaultBaseUrl: 'https://api.whisperr.net',
  apiKeyEnv: 'WHISPERR_API_KEY',
  routes: [
    { path: '/v1/events/track', accept: acceptTrack },
    { path: '/v1/events/batch', accept: acceptBatch },
    { path: '/v1/identify', accept: acceptIdentify }
  ],
  editRoutes: { track: '/v1/events/track', identify: '/v1/identify' },
  clientKey,
  clientHeaders: ['x-api-key', 'authorization'],
  keyHeaders: (key) => ({ 'X-API-Key': key }),
  // Dated now and with a message id of its own: a track outside the time window, or a repeated id, is not stored.
  example: (now) => ({
    path: '/v1/events/track',
    body: JSON.stringify({
      external_user_id: 'user_123',
      event_type: 'trial_started',
      occurred_at: new Date(now).toISOString(),
      properties: { plan: 'pro' },
      context: { $message_id: randomUUID() }
    })
  }),
  batchLimit: (kind) => (kind === 'track' ? MAX_BATCH : 1),
  buildRequest(events: ClaimedEvent[], { apiKey }) {
    const headers = { 'content-type': 'application/json', 'x-api-key': apiKey }
    const first = events[0]
    if (first?.kind === 'identify') return { path: '/v1/identify', headers, body: first.payload }
    return {
      path: '/v1/events/batch',
      headers,
      body: `{"events":[${events.map((e) => e.payload).join(',')}]}`
    }
  },
  classifyResponse
}
