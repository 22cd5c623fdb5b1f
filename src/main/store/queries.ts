import type Database from 'better-sqlite3'
import {
  ATTEMPT_BODY_SHOWN,
  EVENT_STATUSES,
  NOT_SENT,
  type Attempt,
  type AttemptExchange,
  type EventCount,
  type EventDetail,
  type EventPage,
  type EventQuery,
  type ExportedEvent,
  type HeaderLine,
  type EventStatus,
  type StatusCounts,
  type UserAction
} from '@shared/model'
import { createAttemptBodies, type RebuiltBody } from './attempt-bodies'
import { createEventList, type ListBudgets } from './event-list'
import {
  iso,
  PAYLOAD_COLUMNS,
  SUMMARY_COLUMNS,
  toSummary,
  type EventRow,
  type PayloadColumns
} from './event-row'

const SLOW_QUERY_MS = 40

interface AttemptRow {
  id: number
  started_at: number
  duration_ms: number
  status: number | null
  outcome: Attempt['outcome']
  reason: string
  request: string
  response_body: string | null
  batch_size: number
  method: string | null
  url: string | null
  request_body_id: number | null
  request_headers: string | null
  /** The first ATTEMPT_BODY_SHOWN characters of the body sent. */
  request_body: string | null
  request_body_bytes: number | null
  /** Set when the body was not stored but is rebuilt from the attempt's events (migration 14). */
  request_body_vendor: string | null
  request_body_crc32: number | null
  response_headers: string | null
  response_headers_omitted: number
}

function headerLines(json: string): HeaderLine[] {
  return (JSON.parse(json) as [string, string][]).map(([name, value]) => ({ name, value }))
}

/** The body as stored, or as `rebuilt` when the attempt stored none. */
function requestBodyOf(row: AttemptRow, rebuilt: RebuiltBody | null): RebuiltBody {
  if (rebuilt) return { ...rebuilt, body: rebuilt.body.slice(0, ATTEMPT_BODY_SHOWN) }
  return { from: { kind: 'stored' }, body: row.request_body ?? '' }
}

/** What the attempt sent and received; columns of migration 12, NULL in older attempts. */
function toExchange(row: AttemptRow, rebuilt: RebuiltBody | null): AttemptExchange {
  if (row.method === null || row.url === null || row.request_headers === null) {
    return { kind: row.request === NOT_SENT ? 'not_sent' : 'not_recorded' }
  }
  const { from, body: requestBody } = requestBodyOf(row, rebuilt)
  const requestBodyBytes = row.request_body_bytes ?? 0
  return {
    kind: 'recorded',
    method: row.method,
    url: row.url,
    requestHeaders: headerLines(row.request_headers),
    requestBody,
    requestBodyBytes,
    requestBodyCut: from.kind !== 'unavailable' && Buffer.byteLength(requestBody) < requestBodyBytes,
    requestBodyFrom: from,
    responseHeaders: row.response_headers === null ? null : headerLines(row.response_headers),
    responseHeadersOmitted: row.response_headers_omitted
  }
}

/** One row of status_counts (migrations 5 and 6). */
export interface LedgerRow {
  destination: string
  status: EventStatus
  n: number
  bytes: number
}

export function emptyCounts(): StatusCounts {
  return Object.fromEntries(EVENT_STATUSES.map((status) => [status, 0])) as StatusCounts
}

function toExported(row: EventRow & PayloadColumns): ExportedEvent {
  return {
    ...toSummary(row),
    receivedPayload: row.received_payload,
    payload: row.payload,
    revision: row.revision
  }
}

function toAttempt(row: AttemptRow, rebuilt: RebuiltBody | null): Attempt {
  return {
    id: row.id,
    startedAt: iso(row.started_at) as string,
    durationMs: row.duration_ms,
    status: row.status,
    outcome: row.outcome,
    reason: row.reason,
    request: row.request,
    responseBody: row.response_body,
    batchSize: row.batch_size,
    exchange: toExchange(row, rebuilt)
  }
}

function timed<T>(label: string, run: () => T): T {
  const started = performance.now()
  const result = run()
  const elapsed = performance.now() - started
  if (elapsed > SLOW_QUERY_MS) console.warn(`[outpost] slow query ${label}: ${elapsed.toFixed(1)} ms`)
  return result
}

export interface QueryOptions {
  /** The payload search index to read beside the outbox (the reader's connection); none on the store's own. */
  searchIndexFile?: string
  budgets?: Partial<ListBudgets>
}

/** The read side of the outbox: what the admin API and the UI show. */
export function createQueries(db: Database.Database, options: QueryOptions = {}) {
  // Kept by triggers (migration 5): counting the outbox itself grows with it.
  const countByDestination = db.prepare(`SELECT destination, status, n FROM status_counts WHERE n > 0`)
  const selectLedger = db.prepare(`SELECT destination, status, n, bytes FROM status_counts WHERE n > 0`)
  const selectEvent = db.prepare(`SELECT ${SUMMARY_COLUMNS}, ${PAYLOAD_COLUMNS} FROM outbox WHERE id = ?`)
  const selectAttempts = db.prepare(`
    SELECT a.*, substr(rb.body, 1, ${ATTEMPT_BODY_SHOWN}) AS request_body
    FROM attempt_events ae JOIN attempts a ON a.id = ae.attempt_id
    LEFT JOIN request_bodies rb ON rb.id = a.request_body_id
    WHERE ae.event_id = ? ORDER BY a.id DESC LIMIT 100`)
  const selectHistory = db.prepare(`
    SELECT id, at, actor, action, before, after FROM user_actions WHERE event_id = ? ORDER BY id DESC LIMIT 100`)
  const list = createEventList(db, options)
  // A skip-scan of outbox_name (migration 13): each step one seek to the next name, whatever the
  // number of events of each.
  const selectNames = db
    .prepare(
      `WITH RECURSIVE names(name) AS (
         SELECT min(name) FROM outbox
         UNION ALL
         SELECT (SELECT min(name) FROM outbox WHERE name > names.name) FROM names WHERE names.name IS NOT NULL
       )
       SELECT name FROM names WHERE name IS NOT NULL LIMIT ?`
    )
    .pluck()
  const attemptBodies = createAttemptBodies(db)

  /** An attempt that stored no body gets it rebuilt from its events (attempt-bodies.ts). */
  function rebuiltBody(row: AttemptRow): RebuiltBody | null {
    if (row.request_body_id !== null || row.request_body_vendor === null) return null
    return attemptBodies.rebuild({
      attemptId: row.id,
      vendor: row.request_body_vendor,
      batchSize: row.batch_size,
      bytes: row.request_body_bytes ?? 0,
      crc32: row.request_body_crc32 ?? 0
    })
  }

  function countsByDestination(): Map<string, StatusCounts> {
    const rows = timed('counts', () => countByDestination.all()) as {
      destination: string
      status: EventStatus
      n: number
    }[]
    const result = new Map<string, StatusCounts>()
    for (const row of rows) {
      const counts = result.get(row.destination) ?? emptyCounts()
      counts[row.status] = row.n
      result.set(row.destination, counts)
    }
    return result
  }

  /** The ledger itself, events and bytes by destination and status: what the metrics read at a scrape. */
  function statusLedger(): LedgerRow[] {
    return timed('ledger', () => selectLedger.all()) as LedgerRow[]
  }

  /** The newest events the query matches, a page at a time (event-list.ts says how each filter is read). */
  function listEvents(query: EventQuery): EventPage {
    return timed('listEvents', () => list.listEvents(query))
  }

  /** How many events the query matches: exact, or at least `count` when a search stopped early. */
  function countEvents(query: EventQuery): EventCount {
    return timed('countEvents', () => list.countEvents(query))
  }

  /** The distinct event names, in order, at most `limit`: the name filter's suggestions. */
  function eventNames(limit: number): string[] {
    return timed('eventNames', () => selectNames.all(limit) as string[])
  }

  /** One read transaction: the attempts and history shown belong to the row shown, whatever commits meanwhile. */
  const getEvent: (id: number) => EventDetail | null = db.transaction((id: number) => {
    const row = selectEvent.get(id) as (EventRow & PayloadColumns) | undefined
    if (!row) return null
    const attempts = (selectAttempts.all(id) as AttemptRow[]).map((attempt) =>
      toAttempt(attempt, rebuiltBody(attempt))
    )
    const history = (selectHistory.all(id) as (Omit<UserAction, 'at'> & { at: number })[]).map((action) => ({
      ...action,
      at: iso(action.at) as string
    }))
    return { ...toExported(row), attemptsLog: attempts, history }
  })

  return { countsByDestination, statusLedger, listEvents, countEvents, getEvent, eventNames }
}

export type Queries = ReturnType<typeof createQueries>
