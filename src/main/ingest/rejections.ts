import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { RejectedField, Rejection } from '@shared/model'
import { onRouterRefusal } from './server'

/** The newest refusals kept; older ones fall out. */
const CAPACITY = 200
/** Enough of a body to see what was wrong with it. */
const BODY_PREVIEW_CHARS = 16 * 1024

export interface RejectionLog {
  record(rejection: Omit<Rejection, 'id' | 'at'>): void
  /** Newest first; the whole log without a limit. */
  list(limit?: number): Rejection[]
  clear(): void
  count(): number
  /** The id of the newest refusal ever recorded (0 before the first): the UI refetches when it moves. */
  lastId(): number
}

/** A ring of recent refusals in memory: they are diagnostics, not data, and cost no disk write. */
export function createRejectionLog(now: () => number, capacity = CAPACITY): RejectionLog {
  let entries: Rejection[] = []
  let lastId = 0
  return {
    record(rejection) {
      entries.push({ ...rejection, id: ++lastId, at: new Date(now()).toISOString() })
      if (entries.length > capacity) entries = entries.slice(-capacity)
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

function bodyPreview(request: FastifyRequest): string | null {
  // Undefined on a request the router refused: fastify builds those without our decorations.
  const text = request.rawBody as string | null | undefined
  if (text == null) return null
  return text.length > BODY_PREVIEW_CHARS ? `${text.slice(0, BODY_PREVIEW_CHARS)}…` : text
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
    const firstSegment = request.url.split(/[/?]/)[1] ?? ''
    log.record({
      method: request.method,
      url: request.url,
      destination: destinationIds.has(firstSegment) ? firstSegment : null,
      status,
      error: typeof answer.error === 'string' ? answer.error : 'error',
      message: typeof answer.message === 'string' ? answer.message : '',
      fields: Array.isArray(answer.errors) ? (answer.errors as RejectedField[]) : [],
      body: bodyPreview(request)
    })
  }
  app.addHook('onSend', async (request, reply, payload) => {
    record(request, reply.statusCode, payload)
    return payload
  })
  onRouterRefusal(app, record)
}
