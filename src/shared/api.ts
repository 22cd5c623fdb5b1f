import { ACTIVITY_RANGES, type ActivityRange, type ActivityReport } from './activity'
import {
  EVENT_STATUSES,
  type EventCount,
  type EventDetail,
  type EventFilter,
  type EventPage,
  type EventQuery,
  type ExportedFile,
  type RejectedField,
  type RequestPreview,
  type UpstreamRequestPreview,
  type Rejection,
  type ResendSelection,
  type BulkOutcome,
  BULK_ACTIONS,
  type BulkActionProgress,
  type BulkAction,
  type BulkPreview,
  type UndoOutcome,
  type IngestGuide,
  type ImportOptions,
  type ImportProgress,
  type ImportSummary,
  type Stats,
  type SyncOutcome
} from './model'

/** What an export is written as: one JSON document, one event per line, or a spreadsheet. */
export const EXPORT_FORMATS = ['json', 'ndjson', 'csv'] as const
export type ExportFormat = (typeof EXPORT_FORMATS)[number]

/** Where main tells the desktop window how far its export has come (an ExportProgress each page). */
export const EXPORT_PROGRESS_CHANNEL = 'outpost:exportProgress'
/** Where main tells the desktop window how far its import has come (an ImportProgress). */
export const IMPORT_PROGRESS_CHANNEL = 'outpost:importProgress'

/**
 * The one contract between the UI and the collector. Main implements it once (src/main/admin);
 * the preload bridge (IPC) and the HTTP client (headless console) are two transports of it.
 * Every method takes one plain-object argument so both transports carry it the same way.
 */
export interface OutpostApi {
  getStats(input: Record<string, never>): Promise<Stats>
  listEvents(input: EventQuery): Promise<EventPage>
  /** How many events the filters match: exact, or at least `count` for a search that ran out of time or passed 10,000. */
  countEvents(input: EventFilter): Promise<EventCount>
  getEvent(input: { id: number }): Promise<EventDetail | null>
  /**
   * The event names stored, in order, up to `limit` (500 when absent): the name filter's
   * suggestions. Read through the reader, one index seek per name.
   */
  listEventNames(input: { limit?: number }): Promise<string[]>
  /**
   * Desktop app only: asks where to save, then main writes every event the filters match there,
   * streamed page by page, with progress on EXPORT_PROGRESS_CHANNEL; null when the person cancelled.
   * The console downloads the same export from `exportDownload.path` instead.
   */
  exportEventsToFile(input: { query: EventFilter; format: ExportFormat }): Promise<ExportedFile | null>
  /**
   * The request delivery would send upstream for this event alone, built by its connector as
   * delivery builds it; the vendor key is masked unless `revealKey` asks for it.
   */
  previewUpstreamRequest(input: { id: number; revealKey?: boolean }): Promise<UpstreamRequestPreview>
  /**
   * The ingest request an app sends for this event, reconstructed: Outpost's own route for its
   * vendor and kind, with the payload as received (the app may have sent it in a batch).
   */
  previewIngestRequest(input: { id: number }): Promise<RequestPreview>
  /**
   * Desktop app only: asks which NDJSON export to open, then main imports its events here (one import
   * at a time), with progress on IMPORT_PROGRESS_CHANNEL; null when the person cancelled. The console
   * uploads the file to `importUpload.path` instead.
   */
  importEventsFromFile(input: ImportOptions): Promise<ImportSummary | null>
  /** Saves an edited payload as a new revision, checked by the vendor's ingest rules. */
  editPayload(input: { id: number; payload: string }): Promise<EventDetail>
  /** Failed or discarded events back to the queue, due now, with their message ids. */
  resendEvents(input: ResendSelection): Promise<BulkOutcome>
  /** Waiting or failed events are set aside: never sent, kept until pruned. */
  discardEvents(input: { ids: number[] }): Promise<BulkOutcome>
  /**
   * How many events a bulk action on every filter match would act on, and for which destinations.
   * Refused (conflict) for a search whose matches cannot be counted exactly.
   */
  previewBulkAction(input: { action: BulkAction; filter: EventFilter }): Promise<BulkPreview>
  /**
   * Starts acting on every event the filter matches up to `throughId` (a preview's), in chunks that
   * each commit alone with their history; poll getBulkAction for its progress.
   */
  startBulkAction(input: {
    action: BulkAction
    filter: EventFilter
    throughId: number
    expected: number
  }): Promise<BulkActionProgress>
  getBulkAction(input: { id: number }): Promise<BulkActionProgress>
  /** Puts a bulk discard's events back as each was, unless changed since; within its undo time. */
  undoBulkDiscard(input: { id: number }): Promise<UndoOutcome>
  pauseDestination(input: { id: string }): Promise<void>
  resumeDestination(input: { id: string }): Promise<void>
  /** Sets the vendor key of a destination, kept by Outpost (null removes it); lifts an auth hold. */
  setApiKey(input: { id: string; apiKey: string | null }): Promise<void>
  /**
   * Deliver due and waiting events now, skipping any backoff; all destinations when id is absent.
   * Says which destinations a hold (a pause, no key, a refused key) keeps from sending.
   */
  syncNow(input: { id?: string }): Promise<SyncOutcome>
  /** For each destination, its vendor's routes and one example request that works as sent. */
  getIngestGuides(input: Record<string, never>): Promise<IngestGuide[]>
  /** Refused ingest requests, newest first: the whole log (the newest 200) unless limited. */
  listRejections(input: { limit?: number }): Promise<Rejection[]>
  clearRejections(input: Record<string, never>): Promise<void>
  /**
   * What each destination did over the last hour (a bucket a minute) or day (a quarter of an
   * hour): events stored, delivered, failed, and the backlog; the last bucket is under way.
   */
  getActivity(input: { range: ActivityRange }): Promise<ActivityReport>
}

export type ApiMethod = keyof OutpostApi

/** JSON Schema of each method's input, checked by main before the call runs (with ajv-formats' formats). */
type InputSchema = Record<string, unknown>

export interface ApiRoute {
  /** IPC channel name. */
  channel: string
  /**
   * HTTP method and path under which the admin API serves it; `:name` takes input.name. Null for
   * what only the desktop app can do (a save dialog, a file written by main).
   */
  http: { method: 'GET' | 'POST'; path: string } | null
  input: InputSchema
}

const destinationId = { type: 'string', minLength: 1, maxLength: 64 }
/** An instant as RFC 3339 writes it (`2026-05-01T10:00:00.000Z`, or with an offset). */
const instant = { type: 'string', format: 'date-time', maxLength: 40 }
const eventFilters = {
  destination: destinationId,
  status: { enum: [...EVENT_STATUSES] },
  search: { type: 'string', maxLength: 200 },
  attemptId: { type: 'integer', minimum: 1 },
  name: { type: 'string', minLength: 1, maxLength: 1000 },
  user: { type: 'string', minLength: 1, maxLength: 1000 },
  receivedFrom: instant,
  receivedTo: instant
}
const eventFilter = { type: 'object', additionalProperties: false, properties: eventFilters }
const exportFormat = { enum: [...EXPORT_FORMATS] }
/** A file's destination id -> one of this collector's: ids as the config allows them. */
const destinationMapping = {
  type: 'object',
  maxProperties: 100,
  propertyNames: { pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$' },
  additionalProperties: destinationId
}
const eventId = { type: 'integer', minimum: 1 }
const eventIds = { type: 'array', minItems: 1, maxItems: 10_000, uniqueItems: true, items: eventId }
const bulkAction = { enum: [...BULK_ACTIONS] }
const bulkActionId = { type: 'integer', minimum: 1 }
const none: InputSchema = { type: 'object', additionalProperties: false, properties: {} }

export const apiContract: Record<ApiMethod, ApiRoute> = {
  getStats: { channel: 'outpost:getStats', http: { method: 'GET', path: '/api/stats' }, input: none },
  listEvents: {
    channel: 'outpost:listEvents',
    http: { method: 'GET', path: '/api/events' },
    input: {
      type: 'object',
      additionalProperties: false,
      properties: {
        ...eventFilters,
        beforeId: { type: 'integer', minimum: 1 },
        limit: { type: 'integer', minimum: 1, maximum: 1000 }
      }
    }
  },
  countEvents: {
    channel: 'outpost:countEvents',
    http: { method: 'GET', path: '/api/events/count' },
    input: eventFilter
  },
  listEventNames: {
    channel: 'outpost:listEventNames',
    http: { method: 'GET', path: '/api/event-names' },
    input: {
      type: 'object',
      additionalProperties: false,
      properties: { limit: { type: 'integer', minimum: 1, maximum: 1000 } }
    }
  },
  exportEventsToFile: {
    channel: 'outpost:exportEventsToFile',
    http: null,
    input: {
      type: 'object',
      additionalProperties: false,
      required: ['query', 'format'],
      properties: { query: eventFilter, format: exportFormat }
    }
  },
  importEventsFromFile: {
    channel: 'outpost:importEventsFromFile',
    http: null,
    input: { type: 'object', additionalProperties: false, properties: { destinations: destinationMapping } }
  },
  getEvent: {
    channel: 'outpost:getEvent',
    http: { method: 'GET', path: '/api/events/:id' },
    input: {
      type: 'object',
      additionalProperties: false,
      required: ['id'],
      properties: { id: eventId }
    }
  },
  previewUpstreamRequest: {
    channel: 'outpost:previewUpstreamRequest',
    http: { method: 'GET', path: '/api/events/:id/upstream-request' },
    input: {
      type: 'object',
      additionalProperties: false,
      required: ['id'],
      properties: { id: eventId, revealKey: { type: 'boolean' } }
    }
  },
  previewIngestRequest: {
    channel: 'outpost:previewIngestRequest',
    http: { method: 'GET', path: '/api/events/:id/ingest-request' },
    input: {
      type: 'object',
      additionalProperties: false,
      required: ['id'],
      properties: { id: eventId }
    }
  },
  editPayload: {
    channel: 'outpost:editPayload',
    http: { method: 'POST', path: '/api/events/:id/payload' },
    input: {
      type: 'object',
      additionalProperties: false,
      required: ['id', 'payload'],
      // JSON text, not a value: a parsed value would round its big integers on the way.
      properties: { id: eventId, payload: { type: 'string' } }
    }
  },
  resendEvents: {
    channel: 'outpost:resendEvents',
    http: { method: 'POST', path: '/api/events/resend' },
    input: {
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      maxProperties: 1,
      properties: { ids: eventIds, attemptId: { type: 'integer', minimum: 1 } }
    }
  },
  discardEvents: {
    channel: 'outpost:discardEvents',
    http: { method: 'POST', path: '/api/events/discard' },
    input: { type: 'object', additionalProperties: false, required: ['ids'], properties: { ids: eventIds } }
  },
  previewBulkAction: {
    channel: 'outpost:previewBulkAction',
    http: { method: 'POST', path: '/api/bulk-actions/preview' },
    input: {
      type: 'object',
      additionalProperties: false,
      required: ['action', 'filter'],
      properties: { action: bulkAction, filter: eventFilter }
    }
  },
  startBulkAction: {
    channel: 'outpost:startBulkAction',
    http: { method: 'POST', path: '/api/bulk-actions' },
    input: {
      type: 'object',
      additionalProperties: false,
      required: ['action', 'filter', 'throughId', 'expected'],
      properties: {
        action: bulkAction,
        filter: eventFilter,
        throughId: { type: 'integer', minimum: 0 },
        expected: { type: 'integer', minimum: 0 }
      }
    }
  },
  getBulkAction: {
    channel: 'outpost:getBulkAction',
    http: { method: 'GET', path: '/api/bulk-actions/:id' },
    input: { type: 'object', additionalProperties: false, required: ['id'], properties: { id: bulkActionId } }
  },
  undoBulkDiscard: {
    channel: 'outpost:undoBulkDiscard',
    http: { method: 'POST', path: '/api/bulk-actions/:id/undo' },
    input: { type: 'object', additionalProperties: false, required: ['id'], properties: { id: bulkActionId } }
  },
  pauseDestination: {
    channel: 'outpost:pauseDestination',
    http: { method: 'POST', path: '/api/destinations/:id/pause' },
    input: {
      type: 'object',
      additionalProperties: false,
      required: ['id'],
      properties: { id: destinationId }
    }
  },
  resumeDestination: {
    channel: 'outpost:resumeDestination',
    http: { method: 'POST', path: '/api/destinations/:id/resume' },
    input: {
      type: 'object',
      additionalProperties: false,
      required: ['id'],
      properties: { id: destinationId }
    }
  },
  setApiKey: {
    channel: 'outpost:setApiKey',
    http: { method: 'POST', path: '/api/destinations/:id/key' },
    input: {
      type: 'object',
      additionalProperties: false,
      required: ['id', 'apiKey'],
      properties: {
        id: destinationId,
        // One union type, not anyOf: the HTTP transport's coercion would turn "" into null (a removal).
        apiKey: { type: ['string', 'null'], minLength: 1, maxLength: 4096, pattern: '^\\S+$' }
      }
    }
  },
  syncNow: {
    channel: 'outpost:syncNow',
    http: { method: 'POST', path: '/api/sync' },
    input: { type: 'object', additionalProperties: false, properties: { id: destinationId } }
  },
  getIngestGuides: {
    channel: 'outpost:getIngestGuides',
    http: { method: 'GET', path: '/api/ingest-guides' },
    input: none
  },
  listRejections: {
    channel: 'outpost:listRejections',
    http: { method: 'GET', path: '/api/rejections' },
    input: {
      type: 'object',
      additionalProperties: false,
      properties: { limit: { type: 'integer', minimum: 1, maximum: 1000 } }
    }
  },
  clearRejections: {
    channel: 'outpost:clearRejections',
    http: { method: 'POST', path: '/api/rejections/clear' },
    input: none
  },
  getActivity: {
    channel: 'outpost:getActivity',
    http: { method: 'GET', path: '/api/activity' },
    input: {
      type: 'object',
      additionalProperties: false,
      required: ['range'],
      properties: { range: { enum: [...ACTIVITY_RANGES] } }
    }
  }
}

export const apiMethods = Object.keys(apiContract) as ApiMethod[]

/**
 * The export as a download: `GET path?format=&status=&destination=&search=&attemptId=&receivedFrom=&receivedTo=` answers
 * every matching event as a file streamed page by page (format json when absent), with the admin
 * token or the console's session cookie, so a plain link downloads it. Not a contract method: its
 * answer is a file of any size, never one value a transport could hold.
 */
export const exportDownload = {
  path: '/api/events/export',
  input: {
    type: 'object',
    additionalProperties: false,
    properties: { ...eventFilters, format: exportFormat }
  }
}

/**
 * The import as an upload: `POST path?map=<file destination>:<destination here>` (repeated) with the
 * NDJSON export as the body (`Content-Type: application/x-ndjson`), with the admin token or the
 * console's session cookie. The body is kept in a private temporary file as fast as it arrives, then
 * imported; the answer is NDJSON too: `{"progress": ImportProgress}` lines while it runs, and a last
 * line `{"summary": ImportSummary}` (or `{"error": {code, message}}`). Not a contract method: its
 * input is a file of any size.
 */
export const importUpload = {
  path: '/api/events/import',
  contentType: 'application/x-ndjson',
  input: {
    type: 'object',
    additionalProperties: false,
    properties: {
      map: {
        type: 'array',
        maxItems: 100,
        items: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}:[A-Za-z0-9][A-Za-z0-9_-]{0,63}$' }
      }
    }
  }
}

/** One line of the import upload's answer. */
export type ImportAnswerLine =
  { progress: ImportProgress } | { summary: ImportSummary } | { error: { code: string; message: string } }

/**
 * What crosses IPC and the preload bridge: errors travel as data, since Electron rebuilds a
 * thrown Error from its message alone. A refusal carries the HTTP status /api gives the same
 * refusal, so the renderer raises the same error over either transport.
 */
export type Envelope<T> = { ok: true; value: T } | { ok: false; error: ApiError & { status: number } }

export interface ApiError {
  code: 'invalid_input' | 'not_found' | 'unauthorized' | 'conflict' | 'internal'
  message: string
  /** For an edit the vendor's rules refuse: which field, and why. */
  problems?: RejectedField[]
}
