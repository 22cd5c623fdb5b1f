/** Types shared by every process: what an outbox row is, as the UI and the admin API see it. */

export const EVENT_STATUSES = ['queued', 'sending', 'retrying', 'failed', 'sent', 'discarded'] as const
export type EventStatus = (typeof EVENT_STATUSES)[number]

/** What a person may do to an event in each state (the store enforces it, the UI offers it). */
export const EDITABLE_STATUSES: readonly EventStatus[] = ['queued', 'retrying', 'failed', 'discarded']
export const RESENDABLE_STATUSES: readonly EventStatus[] = ['failed', 'discarded']
export const DISCARDABLE_STATUSES: readonly EventStatus[] = ['queued', 'retrying', 'failed']

export const EVENT_KINDS = ['track', 'identify', 'device'] as const
export type EventKind = (typeof EVENT_KINDS)[number]

/** A connector's id (`whisperr`, `userflux`, ...): the registry in src/main/connectors decides which exist. */
export type VendorId = string

export type StatusCounts = Record<EventStatus, number>

/** Why a destination is not delivering right now; null when it is. */
export type DestinationHold =
  | 'not_configured' // no API key
  | 'paused' // a person pressed pause
  | 'auth' // upstream answered 401/403: keep events, wait for a person
  | 'offline' // the last request failed at the network level; retried with backoff
  | null

export interface DestinationSummary {
  id: string
  vendor: VendorId
  /** The vendor's name as people write it, e.g. `UserFlux`. */
  vendorLabel: string
  baseUrl: string
  /** The base URL to give the vendor's SDK: the collector's address plus the destination id. */
  ingestUrl: string
  configured: boolean
  /** Where the key in use comes from: set in Outpost, the config file, or its environment variable. */
  keySource: 'outpost' | 'config' | 'env' | null
  /** Whether a key set in Outpost is kept encrypted by the OS keychain (the desktop app) or only by file permissions. */
  keysEncrypted: boolean
  paused: boolean
  hold: DestinationHold
  /** Words for a person: why it is held, what the upstream last said. */
  holdReason: string | null
  counts: StatusCounts
  nextAttemptAt: string | null
  lastSuccessAt: string | null
}

export interface Stats {
  counts: StatusCounts
  destinations: DestinationSummary[]
  /** The refused ingest requests Outpost remembers, and the id of the newest ever refused. */
  rejections: { count: number; lastId: number }
  /**
   * Events the payload search index has not reached yet (after a long time offline, or a rebuilt
   * index): they are found all the same, read one by one, so searches of them take longer.
   */
  searchBacklog: number
  /** Increases on every change of the outbox: the UI refetches when it moves. */
  version: number
  startedAt: string
}

export interface EventSummary {
  id: number
  destination: string
  kind: EventKind
  name: string
  userKey: string | null
  messageId: string
  status: EventStatus
  attempts: number
  occurredAt: string | null
  receivedAt: string
  sentAt: string | null
  nextAttemptAt: string | null
  lastStatus: number | null
  lastError: string | null
}

export interface Attempt {
  id: number
  startedAt: string
  durationMs: number
  /** HTTP status, or null when no answer came (refused, reset, timeout). */
  status: number | null
  outcome: 'ok' | 'retry' | 'auth' | 'permanent'
  reason: string
  request: string
  responseBody: string | null
  batchSize: number
}

/** An event with its payloads: one entry of an export. */
export interface ExportedEvent extends EventSummary {
  /**
   * What the client sent, never changed: its own JSON text, so numbers keep every digit as
   * written (integers beyond 2^53, `1.0`), which a parsed value would not.
   */
  receivedPayload: string
  /** What will be sent upstream (edits go here), as JSON text. */
  payload: string
  revision: number
}

/** What a person did to an event: recorded with who, when, and what it was before and after. */
export interface UserAction {
  id: number
  at: string
  actor: string
  action: 'edit' | 'resend' | 'discard'
  /** The payload (edit) or the status (resend, discard) before and after. */
  before: string | null
  after: string | null
}

export interface EventDetail extends ExportedEvent {
  attemptsLog: Attempt[]
  /** Newest first. */
  history: UserAction[]
}

/** Which events a resend takes: listed ones, or every event one upstream request carried. */
export type ResendSelection = { ids: number[] } | { attemptId: number }

export interface BulkOutcome {
  /** Ids the action applied to. */
  changed: number[]
  /** Ids it did not apply to: gone, or in a state the action does not take (e.g. resending a sent event). */
  skipped: number[]
}

/** How far an export has come: rows written, of the total the filters matched when it is cheap to count. */
export interface ExportProgress {
  rows: number
  /** Counted from the status ledger when the filters are destination and status only; else null. */
  total: number | null
}

/** An export the desktop app wrote: where, and how many events it holds. */
export interface ExportedFile {
  path: string
  rows: number
}

export interface EventQuery {
  destination?: string
  status?: EventStatus
  /**
   * Ignoring case, a part of the event name, the user key, the message id, or of one value of the
   * payload to send (a string, or a number as written); property names are not searched.
   */
  search?: string
  /** Only the events one upstream request carried. */
  attemptId?: number
  /** Received at or after this time (ISO 8601, e.g. `2026-05-01T10:00:00.000Z`). */
  receivedFrom?: string
  /** Received at or before this time (ISO 8601), to the millisecond. */
  receivedTo?: string
  /** Page backwards from this id (exclusive). */
  beforeId?: number
  limit?: number
}

/** The filters of the list without its paging: what an export and a count take. */
export type EventFilter = Omit<EventQuery, 'beforeId' | 'limit'>

export interface EventPage {
  events: EventSummary[]
  /** Pass as beforeId for the next page; null at the end. */
  nextBeforeId: number | null
  /**
   * Set when a search ran out of its time for one page before filling it: events received before
   * this time were not searched yet, and `nextBeforeId` searches on from there ("search older").
   */
  searchedBackTo?: string
}

/** How many events a filter matches: exactly, or (a search that stopped early) at least `count`. */
export interface EventCount {
  count: number
  exact: boolean
}

/** One thing wrong with a refused request: which event (in a batch), which field, why. */
export interface RejectedField {
  index?: number
  /** Dotted path, e.g. `context.$message_id`; '' for the whole body. */
  field: string
  reason: string
}

/**
 * An ingest request Outpost refused, as the client saw it. Kept in memory (the newest few
 * hundred): nothing of a refused request is stored, but a tester needs to see why it was refused
 * when the app's SDK swallows the error.
 */
export interface Rejection {
  id: number
  at: string
  method: string
  /** Path and query as the client sent them. */
  url: string
  /** The destination the path names; null when it names none (a wrong base URL). */
  destination: string | null
  status: number
  /** The error code of the answer, e.g. `invalid_request`, `invalid_json`. */
  error: string
  message: string
  fields: RejectedField[]
  /** The body as received, cut to a preview; null when it was not read (too large). */
  body: string | null
}
