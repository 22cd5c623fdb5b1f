import type { IncomingHttpHeaders } from 'node:http'
import type { EventKind, VendorId } from '@shared/model'
import type { ClaimedEvent, EnqueueResult, NewEvent } from '../store'

/** One thing wrong with a request, in words a tester understands. */
export interface Problem {
  /** Index of the event in a batch; absent for request-level problems. */
  index?: number
  /** Dotted path of the field, e.g. `context.$message_id`; '' for the whole body. */
  field: string
  reason: string
}

export type AcceptedEvent = Omit<NewEvent, 'destination'>

export interface IngestReply {
  status: number
  /** Undefined for an empty body (e.g. 204). */
  body?: unknown
}

export type IngestOutcome =
  | { ok: true; events: AcceptedEvent[]; reply(result: EnqueueResult): IngestReply }
  | { ok: false; status: number; problems: Problem[] }

/** What a route sees of a request. */
export interface IngestRequest {
  body: unknown
  /** Path parameters of the route (`:projectId` -> params.projectId). */
  params: Record<string, string>
  query: Record<string, string | undefined>
  now: number
}

export interface IngestRoute {
  /** Path below `/{destinationId}`, in the vendor's own form, e.g. `/v1/events/track` or `/projects/:projectId/events`. */
  path: string
  accept(request: IngestRequest): IngestOutcome
}

export interface UpstreamRequest {
  path: string
  headers: Record<string, string>
  body: string
}

export interface UpstreamAnswer {
  status: number
  headers: IncomingHttpHeaders
  body: string
}

/**
 * How the vendor's rules classify an answer. `split` asks for the batch to be resent in halves:
 * the vendor refused something inside it without saying which event.
 */
export type Verdict =
  | { outcome: 'ok'; reason: string }
  | { outcome: 'retry'; reason: string; retryAfterMs?: number }
  | { outcome: 'auth'; reason: string }
  | { outcome: 'permanent'; reason: string; split?: boolean }

export interface Credentials {
  apiKey: string
}

/** Everything Outpost knows about one vendor. Adding a vendor means one module implementing this. */
export interface Connector {
  vendor: VendorId
  label: string
  defaultBaseUrl: string
  /** Environment variable conventionally holding the vendor key. */
  apiKeyEnv: string
  routes: IngestRoute[]
  /** The key a client sent in the vendor's own auth header, checked against the ingest keys. */
  clientKey(headers: IncomingHttpHeaders): string | undefined
  /** The default most events one upstream request carries for this kind (1 = one request per event). */
  batchLimit(kind: EventKind): number
  buildRequest(events: ClaimedEvent[], credentials: Credentials): UpstreamRequest
  classifyResponse(answer: UpstreamAnswer, batchSize: number, now: number): Verdict
}
