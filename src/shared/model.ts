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
  /** The destinations whose accepted events this one also gets (a NATS stream: it has no URL of its own); empty for a vendor's. */
  fedBy: string[]
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

/**
 * Stands where an example request needs one of the destination's ingest keys: the console never
 * shows a key, so the person puts their own in (the console's curl reads it from a variable).
 */
export const INGEST_KEY_PLACEHOLDER = '<ingest key>'

/** One request an app could send a destination, valid by its vendor's rules when it was made. */
export interface IngestExample {
  url: string
  /** What the route needs: the content type, and the vendor's auth header when ingest keys are set. */
  headers: Record<string, string>
  /** JSON text. */
  body: string
}

/** How an app sends to one destination: its vendor's routes, and a request that works as sent. */
export interface IngestGuide {
  destination: string
  vendorLabel: string
  /** The base URL to give the vendor's SDK. */
  ingestUrl: string
  /** Each route the vendor's clients post to, in full; a path parameter as `{projectId}`. */
  routes: string[]
  example: IngestExample
  /** Only requests carrying one of its ingest keys are taken: the example's key is INGEST_KEY_PLACEHOLDER. */
  needsIngestKey: boolean
}

/** Why a destination sends nothing even when asked to sync now. */
export type SyncBlocker = 'paused' | 'not_configured' | 'auth'

/** What "Sync now" did: which destinations send what waits, which a hold keeps from sending. */
export interface SyncOutcome {
  syncing: string[]
  /** Their waiting events stay queued (queued or retrying, now due) until the hold ends. */
  held: { destination: string; blocker: SyncBlocker; waiting: number }[]
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
  /** This device's name in its fleet (`fleet.deviceId`, default the host name): the window's title shows it. */
  deviceId: string
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
  /** One line: method, path, events and bytes. */
  request: string
  responseBody: string | null
  batchSize: number
  /** The request as sent and the answer's headers (migration 12 on). */
  exchange: AttemptExchange
}

/** One header line as sent or received; a vendor key shows masked (`****a1b2`, or `****` when short). */
export interface HeaderLine {
  name: string
  value: string
}

/**
 * What an attempt sent and received. `not_recorded`: the attempt is older than Outpost's record
 * of headers; `not_sent`: Outpost never sent the batch (the reason says why).
 */
export type AttemptExchange =
  | { kind: 'not_recorded' }
  | { kind: 'not_sent' }
  | {
      kind: 'recorded'
      method: string
      url: string
      /** As given to the HTTP client, in order; the client adds host, connection and content-length on the wire. */
      requestHeaders: HeaderLine[]
      /** The body sent, up to ATTEMPT_BODY_SHOWN characters (the whole is `requestBodyBytes`); '' when unavailable. */
      requestBody: string
      requestBodyBytes: number
      /** True when `requestBody` is only the start of the body. */
      requestBodyCut: boolean
      /** Where `requestBody` comes from (see RequestBodyFrom). */
      requestBodyFrom: RequestBodyFrom
      /** As received, in order; null when no answer came. */
      responseHeaders: HeaderLine[] | null
      /** Header lines left out past RESPONSE_HEADERS_KEPT bytes of header text. */
      responseHeadersOmitted: number
    }

/**
 * How an attempt's request body is had. `stored`: kept as sent (an attempt that did not succeed,
 * whose events may be edited before the next try). `rebuilt`: a successful attempt keeps no copy;
 * the body was built again from the events it carried, which cannot change once sent, and checked
 * against the length and CRC-32 of the bytes sent. `unavailable`: that rebuild could not give the
 * bytes sent (`reason` says why: events deleted by retention, another connector version).
 */
export type RequestBodyFrom =
  { kind: 'stored' } | { kind: 'rebuilt' } | { kind: 'unavailable'; reason: string }

/** An attempt's `request` when Outpost never sent the batch. */
export const NOT_SENT = 'not sent'

/** Most characters of a request body an attempt carries to the UI. */
export const ATTEMPT_BODY_SHOWN = 64 * 1024
/** Most bytes of response header text (`name: value\r\n` lines) kept per attempt. */
export const RESPONSE_HEADERS_KEPT = 16 * 1024

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

/**
 * One event of an NDJSON export line (an element of a JSON export's `events`): an ExportedEvent and
 * what another collector needs to take it (`importEvents`). In the file its payloads, and
 * `upstreamParams`, are JSON values written as the stored text, not strings holding JSON.
 */
export interface ExportedEventLine extends ExportedEvent {
  /** The vendor of its destination, when the exporting collector still had that destination. */
  vendor: VendorId | null
  /** The request parameters the vendor's route read besides the body (Embeddables' projectId, UserFlux's query). */
  upstreamParams: Record<string, string> | null
}

/** Where an import sends a file's events: a destination of this collector for each destination id in the file. */
export interface ImportOptions {
  /** File destination id -> this collector's destination id; a destination not named here keeps its id. */
  destinations?: Record<string, string>
}

/** What an import did with the lines of a file so far. Blank lines count for nothing. */
export interface ImportCounts {
  lines: number
  /** Stored here, queued for delivery. */
  imported: number
  /** Already stored here under the same message id (a file imported twice, an event sent here too). */
  duplicates: number
  /** Delivered by the collector that exported them: never imported, they reached the vendor. */
  delivered: number
  /** Set aside by a person on the collector that exported them: never imported. */
  discarded: number
  /** Not imported: not an export line, refused by the vendor's rules, or no destination here for it. */
  refused: number
}

/** How far an import has come: its counts, and the bytes of the file read of its size. */
export interface ImportProgress extends ImportCounts {
  bytes: number
  totalBytes: number
}

/** Why one line was not imported, by its number in the file (the first line is 1). */
export interface ImportProblem {
  line: number
  reason: string
}

/** A destination the file names that this collector does not have: its lines wait for a mapping. */
export interface UnmatchedDestination {
  destination: string
  vendor: VendorId | null
  /** Lines of it (counted in `refused`, not listed in `problems`). */
  events: number
}

/** What an import did, once it ended. */
export interface ImportSummary extends ImportCounts {
  /** The first IMPORT_PROBLEMS_LISTED refused lines read, by line number. */
  problems: ImportProblem[]
  /** Refused lines beyond those listed. */
  unlistedProblems: number
  unmatched: UnmatchedDestination[]
  /** Set when the import ended before the file did (the outbox full, Outpost stopping): where, and why. */
  stopped: ImportProblem | null
}

/** At most this many refused lines are listed in a summary; the rest are counted. */
export const IMPORT_PROBLEMS_LISTED = 100

/** What a person did to an event: recorded with who, when, and what it was before and after. */
export interface UserAction {
  id: number
  at: string
  actor: string
  action: 'edit' | 'resend' | 'discard' | 'undo_discard'
  /** The payload (edit) or the status (resend, discard, undo of a discard) before and after. */
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

/** What a bulk action does to every event a filter matches: resend (failed, discarded) or discard (waiting, failed). */
export const BULK_ACTIONS = ['resend', 'discard'] as const
export type BulkAction = (typeof BULK_ACTIONS)[number]

/** What a bulk action would act on, for the person to confirm. */
export interface BulkPreview {
  action: BulkAction
  /** Events the filter matches in a state the action takes, up to `throughId`. */
  count: number
  /** The destinations they are for: the filter's one, or every destination. */
  destinations: string[]
  /** The newest event when the preview was made: events stored later are never acted on. */
  throughId: number
}

/** A bulk action under way or done, as polled: its events are acted on in chunks. */
export interface BulkActionProgress {
  id: number
  action: BulkAction
  state: 'running' | 'done' | 'failed'
  /** The count the person confirmed. */
  expected: number
  /** Events acted on so far. */
  changed: number
  /** Why it stopped, when it failed. */
  error: string | null
  /** Until when a discard can be undone (it is forgotten at a restart); null otherwise. */
  undoableUntil: string | null
  undone: boolean
}

/** What an undo of a bulk discard did: events put back, and events left alone because they changed since. */
export interface UndoOutcome {
  restored: number
  leftAlone: number
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
  /** Only events of this name, exactly (case and all). */
  name?: string
  /** Only events of this user key, exactly. */
  user?: string
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

/** An HTTP request as it would be sent: what *Copy as curl* turns into a command. */
export interface RequestPreview {
  method: string
  url: string
  /** In the order they are sent; names as the sender writes them. */
  headers: Record<string, string>
  /** The body's exact text; null for none. */
  body: string | null
  /** What a person should know before sending it (batching, a masked key, a device not yet registered). */
  notes: string[]
}

/** The request delivery builds for one event, with the vendor key masked unless it was asked for. */
export interface UpstreamRequestPreview extends RequestPreview {
  /** `masked`: the key is replaced by stars and its last characters; `missing`: the destination has none. */
  key: 'masked' | 'revealed' | 'missing'
}

/** One thing wrong with a refused request: which event (in a batch), which field, why. */
export interface RejectedField {
  /** The event's place in the batch, counted from 0 as the answer counts it. */
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
  /**
   * The body as received, or its first 16 KB when it was longer (`bodyBytes` says how long it
   * was); null when it was not read (too large, or refused before it was read).
   */
  body: string | null
  /** The whole body's size in bytes (UTF-8); null when it was not read. */
  bodyBytes: number | null
  /** How many events the request's batch held; null when it was not a batch (or not JSON). */
  batchSize: number | null
  /** The refused events of a batch, each as the client wrote it, in batch order. */
  refusedEvents: RefusedEvent[]
}

/** One event of a refused batch that the answer named, kept apart so a cut body cannot lose it. */
export interface RefusedEvent {
  /** Its place in the batch, counted from 0 as the answer counts it (the UI says "Event index+1 of n"). */
  index: number
  /** Its text as the client wrote it, or its first 8 KB (`bytes` says how long it was); null beyond what an entry keeps. */
  text: string | null
  /** The event's whole size in bytes (UTF-8). */
  bytes: number
}
