import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { RefusedEvent, RejectedField, Rejection } from '@shared/model'
import { batchElements } from '../connectors/json-text'
import { onRouterRefusal } from './server'

/** The newest refusals kept; older ones fall out. */
const CAPACITY = 200
/** Enough of a body to see what was wrong with it. */
const BODY_PREVIEW_CHARS = 16 * 1024
/** Enough of one refused event to see it whole, as events go. */
const EVENT_TEXT_CHARS = 8 * 1024
/** The refused events' texts an entry keeps at most: with the body, 200 entries hold under 10 M characters. */
const REFUSED_EVENTS_CHARS = 32 * 1024

export interface RejectionLog {
  record(rejection: Omit<Rejection, 'id' | 'at'>): void
  /** Newest first; the whole log without a limit. */
  list(limit?: number): Rejection[]
  clear(): void
  count(): number
  /** The id of the newest refusal ever recorded (0 before the first): the UI refetches when it moves. */
  lastId(): number
}

/**
 * A ring of recent refusals in memory: they are diagnostics, not data, and cost no disk write.
 * `onRecord` hears of each refusal as it is recorded (the metrics count them by reason).
 */
export function createRejectionLog(
  now: () => number,
  capacity = CAPACITY,
  onRecord?: (rejection: Omit<Rejection, 'id' | 'at'>) => void
): RejectionLog {
  let entries: Rejection[] = []
  let lastId = 0
  return {
    record(rejection) {
      entries.push({ ...rejection, id: ++lastId, at: new Date(now()).toISOString() })
      if (entries.length > capacity) entries = entries.slice(-capacity)
      onRecord?.(rejection)
    },
    list: (limit = entries.length) => entries.slice(-limit).reverse(),
    clear() {
      entries = []
    },
    count: () => entries.length,
    lastId: () => lastId
  }
}

interface ErrorAnswer {
  error?: unknown
  message?: unknown
  errors?: unknown
}

function parseAnswer(payload: unknown): ErrorAnswer {
  if (typeof payload !== 'string') return {}
  try {
    const parsed = JSON.parse(payload) as unknown
    return parsed !== null && typeof parsed === 'object' ? (parsed as ErrorAnswer) : {}
  } catch {
    return {}
  }
}

/**
 * The first `chars` of a text as a string of its own. A slice would be V8's view into the whole
 * text and keep all of it alive (a 5 MB body for each entry of the ring, measured: 100 entries
 * held 500 MB); the UTF-8 round trip copies it. A cut never splits a surrogate pair, so the round
 * trip changes nothing: the body was valid UTF-8.
 */
export function keptText(text: string, chars: number): string {
  let end = Math.min(text.length, chars)
  const last = text.charCodeAt(end - 1)
  if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--
  return Buffer.from(text.slice(0, end), 'utf8').toString('utf8')
}

/** Each event the answer names, as the client wrote it, within the entry's budget. */
function refusedEventsOf(
  text: string,
  fields: RejectedField[]
): Pick<Rejection, 'batchSize' | 'refusedEvents'> {
  const indexes = [...new Set(fields.flatMap((field) => (field.index === undefined ? [] : [field.index])))]
  if (indexes.length === 0) return { batchSize: null, refusedEvents: [] }
  const batch = batchElements(text, new Set(indexes))
  if (batch === null) return { batchSize: null, refusedEvents: [] }
  let budget = REFUSED_EVENTS_CHARS
  const refusedEvents: RefusedEvent[] = []
  for (const index of indexes.sort((a, b) => a - b)) {
    const whole = batch.texts.get(index)
    if (whole === undefined) continue
    const kept = budget > 0 ? keptText(whole, Math.min(EVENT_TEXT_CHARS, budget)) : null
    budget -= kept?.length ?? 0
    refusedEvents.push({ index, text: kept, bytes: Buffer.byteLength(whole) })
  }
  return { batchSize: batch.count, refusedEvents }
}

/** What an entry keeps of the body: its start, its size, and each refused event apart (a cut body may not reach them). */
export function bodyRecord(
  text: string | null,
  fields: RejectedField[]
): Pick<Rejection, 'body' | 'bodyBytes' | 'batchSize' | 'refusedEvents'> {
  if (text === null) return { body: null, bodyBytes: null, batchSize: null, refusedEvents: [] }
  return {
    body: keptText(text, BODY_PREVIEW_CHARS),
    bodyBytes: Buffer.byteLength(text),
    ...refusedEventsOf(text, fields)
  }
}

/**
 * Records every ingest request the collector refuses (a POST outside the admin API answered
 * with an error), with the answer's own words, so it can be shown as the client saw it.
 */
export function recordRejections(
  app: FastifyInstance,
  log: RejectionLog,
  destinationIds: ReadonlySet<string>
) {
  const record = (request: FastifyRequest, status: number, payload: unknown) => {
    if (request.method !== 'POST' || status < 400 || request.url.startsWith('/api/')) return
    const answer = parseAnswer(payload)
    const fields = Array.isArray(answer.errors) ? (answer.errors as RejectedField[]) : []
    const firstSegment = request.url.split(/[/?]/)[1] ?? ''
    // Undefined on a request the router refused: fastify builds those without our decorations.
    const body = (request.rawBody as string | null | undefined) ?? null
    log.record({
      method: request.method,
      url: request.url,
      destination: destinationIds.has(firstSegment) ? firstSegment : null,
      status,
      error: typeof answer.error === 'string' ? answer.error : 'error',
      message: typeof answer.message === 'string' ? answer.message : '',
      fields,
      ...bodyRecord(body, fields)
    })
  }
  app.addHook('onSend', async (request, reply, payload) => {
    record(request, reply.statusCode, payload)
    return payload
  })
  onRouterRefusal(app, record)
}
