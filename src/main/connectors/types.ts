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
  headers?: Record<string, string>
}

/** What the reply may depend on, known only once the events are stored. */
export interface StoredResult extends EnqueueResult {
  /** For a device registration: the vendor's id when known, else the provisional one. */
  deviceId?: string
}

export type IngestOutcome =
  | { ok: true; events: AcceptedEvent[]; reply(result: StoredResult): IngestReply }
  | { ok: false; status: number; problems: Problem[] }

/** What a route sees of a request. */
export interface IngestRequest {
  /** The parsed body: read to validate, never stored (see json-text.ts). */
  body: unknown
  /** The body exactly as the client sent it: events are stored as their own part of it. */
  text: string
  /** The request's `Idempotency-Key` header, when the client sent one. */
  idempotencyKey?: string
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

/** A request of the kind the vendor's apps send most: the console shows it as a curl command. */
export interface ConnectorExample {
  /** Below `/{destinationId}`, any path parameter filled in, e.g. `/projects/proj_example/events`. */
  path: string
  /** JSON text. */
  body: string
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

/**
 * For vendors whose clients register a device before sending events (Weespin). A registration
 * is a `device` event; while it waits for the vendor, its client works with a provisional id.
 */
export interface DeviceRegistration {
  /** Top-level field of an event payload that holds the device id, e.g. `device_id`. */
  eventField: string
  /** The provisional id of the registration stored under this message id. */
  provisionalIdFor(messageId: string): string
  isProvisional(deviceId: string): boolean
  /** The vendor's device id in its answer to a registration; null when it has none. */
  realIdFrom(answer: UpstreamAnswer): string | null
}

/** Everything Outpost knows about one vendor. Adding a vendor means one module implementing this. */
export interface Connector {
  vendor: VendorId
  label: string
  defaultBaseUrl: string
  /** Environment variable conventionally holding the vendor key. */
  apiKeyEnv: string
  routes: IngestRoute[]
  /**
   * For each kind of event this vendor stores, the path of the route that accepts one such event:
   * a person's edit of a stored payload goes through it again, held to the client's rules.
   */
  editRoutes: Partial<Record<EventKind, string>>
  /** The key a client sent in the vendor's own auth header, checked against the ingest keys. */
  clientKey(headers: IncomingHttpHeaders): string | undefined
  /**
   * Lowercased names of the auth headers the vendor's clients send (those `clientKey` reads, and
   * any sent beside them): a browser page may send them only when a preflight allows them.
   */
  clientHeaders: string[]
  /** The auth headers the vendor's clients send with `key`, as its SDKs name them: what `clientKey` reads. */
  keyHeaders(key: string): Record<string, string>
  /** One valid request for a tester to send by hand: it passes this connector's own rules at `now`. */
  example(now: number): ConnectorExample
  /** The default most events one upstream request carries for this kind (1 = one request per event). */
  batchLimit(kind: EventKind): number
  buildRequest(events: ClaimedEvent[], credentials: Credentials): UpstreamRequest
  classifyResponse(answer: UpstreamAnswer, batchSize: number, now: number): Verdict
  devices?: DeviceRegistration
}
