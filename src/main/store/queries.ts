import type Database from 'better-sqlite3'
import {
  EVENT_STATUSES,
  type Attempt,
  type EventDetail,
  type EventQuery,
  type ExportedEvent,
  type EventStatus,
  type EventSummary,
  type StatusCounts,
  type UserAction
} from '@shared/model'

const SLOW_QUERY_MS = 40

export interface EventRow {
  id: number
  destination: string
  kind: EventSummary['kind']
  name: string
  user_key: string | null
  message_id: string
  status: EventStatus
  attempts: number
  occurred_at: number | null
  received_at: number
  sent_at: number | null
  next_attempt_at: number
  last_status: number | null
  last_error: string | null
}

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
}

export const SUMMARY_COLUMNS = `id, destination, kind, name, user_key, message_id, status, attempts, occurred_at,
  received_at, sent_at, next_attempt_at, last_status, last_error`
export const PAYLOAD_COLUMNS = `coalesce(received_payload, payload) AS received_payload, payload, revision`

export interface PayloadColumns {
  received_payload: string
  payload: string
  revision: number
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString())

export function emptyCounts(): StatusCounts {
  return Object.fromEntries(EVENT_STATUSES.map((status) => [status, 0])) as StatusCounts
}

/** An event's list fields, as the UI's list (and an export) shows them. */
export function toSummary(row: EventRow): EventSummary {
  const waiting = row.status === 'queued' || row.status === 'retrying'
  return {
    id: row.id,
    destination: row.destination,
    kind: row.kind,
    name: row.name,
    userKey: row.user_key,
    messageId: row.message_id,
    status: row.status,
    attempts: row.attempts,
    occurredAt: iso(row.occurred_at),
    receivedAt: iso(row.received_at) as string,
    sentAt: iso(row.sent_at),
    nextAttemptAt: waiting ? iso(row.next_attempt_at) : null,
    lastStatus: row.last_status,
    lastError: row.last_error
  }
}

function toExported(row: EventRow & PayloadColumns): ExportedEvent {
  return {
    ...toSummary(row),
    receivedPayload: row.received_payload,
    payload: row.payload,
    revision: row.revision
  }
}

function toAttempt(row: AttemptRow): Attempt {
  return {
    id: row.id,
    startedAt: iso(row.started_at) as string,
    durationMs: row.duration_ms,
    status: row.status,
    outcome: row.outcome,
    reason: row.reason,
    request: row.request,
    responseBody: row.response_body,
    batchSize: row.batch_size
  }
}

function timed<T>(label: string, run: () => T): T {
  const started = performance.now()
  const result = run()
  const elapsed = performance.now() - started
  if (elapsed > SLOW_QUERY_MS) console.warn(`[outpost] slow query ${label}: ${elapsed.toFixed(1)} ms`)
  return result
}

/** A search with a status reads that status's rows when they are under 1/SHARE of the events. */
const SEARCH_IN_STATUS_SHARE = 50
const NAME_OR_USER_MATCHES = `(name LIKE @search ESCAPE '\\' OR user_key LIKE @search ESCAPE '\\')`

/** The ids of `outbox` matching all `conditions`, through `index` when one is named. */
function idsWhere(conditions: string[], index?: string): string {
  const through = index === undefined ? '' : ` INDEXED BY ${index}`
  const where = conditions.length === 0 ? '' : ` WHERE ${conditions.join(' AND ')}`
  return `SELECT id FROM outbox${through}${where}`
}

/** A destination's events in one status, read only when the status ledger says there are some. */
function destinationInStatus(status: string): string[] {
  return [
    `status = ${status}`,
    'destination = @destination',
    `EXISTS (SELECT 1 FROM status_counts WHERE destination = @destination AND status = ${status} AND n > 0)`
  ]
}

/**
 * How a list query reads newest first without sorting the outbox, by filter (indexes: migrations
 * 1 and 8). The other filters are checked on the entries the leading index gives; a unary `+`
 * keeps SQLite from leading with an index not meant to lead.
 * - the events of one upstream request: that request's events (attempt_events_attempt), at most
 *   a batch, sorted;
 * - a search (a part of the name or user key, or a whole message id), with any other filter: the
 *   narrow outbox_search_scan, read at most once, never the rows with their payloads (a row is
 *   read only to check the status of a match); the message id is sought in each destination
 *   through the unique index. With a status that holds few events (`searchInStatus`), that
 *   status's range and its rows instead: there are fewer of them;
 * - a status: its range of outbox_status; with a destination, the same range, the destination
 *   checked in the index;
 * - a destination alone: the range of each status the destination has events in (status_counts);
 * - nothing: the ids newest first.
 * SQLite merges several ranges (a compound SELECT ordered by id reads each range in order and
 * stops at the limit). A message id's range may repeat a name's match, hence UNION there.
 */
function listRanges(query: EventQuery, searchInStatus: boolean): { ranges: string[]; mayOverlap: boolean } {
  const paging = query.beforeId === undefined ? [] : ['id < @beforeId']
  const destinationChecked = query.destination === undefined ? [] : ['+destination = @destination']
  const statusChecked = query.status === undefined ? [] : ['+status = @status']
  if (query.attemptId !== undefined) {
    const events = 'id IN (SELECT event_id FROM attempt_events WHERE attempt_id = @attemptId)'
    const search = query.search ? [`(${NAME_OR_USER_MATCHES} OR message_id = @exact)`] : []
    const range = idsWhere([events, ...destinationChecked, ...statusChecked, ...search, ...paging])
    return { ranges: [range], mayOverlap: false }
  }
  const statusRange = query.destination === undefined ? ['status = @status'] : destinationInStatus('@status')
  if (query.search && searchInStatus) {
    const range = [...statusRange, `(${NAME_OR_USER_MATCHES} OR message_id = @exact)`, ...paging]
    return { ranges: [idsWhere(range)], mayOverlap: false }
  }
  if (query.search) {
    const destinations =
      query.destination === undefined
        ? 'destination IN (SELECT destination FROM status_counts)'
        : 'destination = @destination'
    const nameOrUser = [NAME_OR_USER_MATCHES, ...destinationChecked, ...statusChecked, ...paging]
    const messageId = [destinations, 'message_id = @exact', ...statusChecked, ...paging]
    return {
      ranges: [idsWhere(nameOrUser, 'outbox_search_scan'), idsWhere(messageId)],
      mayOverlap: true
    }
  }
  if (query.status !== undefined)
    return { ranges: [idsWhere([...statusRange, ...paging])], mayOverlap: false }
  if (query.destination !== undefined) {
    const ranges = EVENT_STATUSES.map((status) =>
      idsWhere([...destinationInStatus(`'${status}'`), ...paging])
    )
    return { ranges, mayOverlap: false }
  }
  return { ranges: [idsWhere(paging)], mayOverlap: false }
}

/** The list's statement: the newest `@limit` ids the query matches, then their rows. */
function listSql(query: EventQuery, searchInStatus: boolean): string {
  const { ranges, mayOverlap } = listRanges(query, searchInStatus)
  const ids = ranges.join(mayOverlap ? ' UNION ' : ' UNION ALL ')
  return `SELECT ${SUMMARY_COLUMNS} FROM outbox WHERE id IN (${ids} ORDER BY id DESC LIMIT @limit) ORDER BY id DESC`
}

/** The read side of the outbox: what the admin API and the UI show. */
export function createQueries(db: Database.Database) {
  // Kept by triggers (migration 5): counting the outbox itself grows with it.
  const countByDestination = db.prepare(`SELECT destination, status, n FROM status_counts WHERE n > 0`)
  const selectEvent = db.prepare(`SELECT ${SUMMARY_COLUMNS}, ${PAYLOAD_COLUMNS} FROM outbox WHERE id = ?`)
  const selectAttempts = db.prepare(`
    SELECT a.* FROM attempt_events ae JOIN attempts a ON a.id = ae.attempt_id
    WHERE ae.event_id = ? ORDER BY a.id DESC LIMIT 100`)
  const selectHistory = db.prepare(`
    SELECT id, at, actor, action, before, after FROM user_actions WHERE event_id = ? ORDER BY id DESC LIMIT 100`)
  const countInStatus = db
    .prepare(
      `SELECT coalesce(sum(n), 0) FROM status_counts
       WHERE status = @status AND (@destination IS NULL OR destination = @destination)`
    )
    .pluck()
  const countAll = db.prepare(`SELECT coalesce(sum(n), 0) FROM status_counts`).pluck()
  const listStatements = new Map<string, Database.Statement>()

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

  /**
   * Whether a search with a status reads the rows of that status rather than the narrow index of
   * every event. A row read costs a lookup, about 30 entries of the narrow index: at a million
   * events, the failed 1% took 27 ms, one destination's 5% of the sent ones 150 ms, the narrow
   * index 90-120 ms. So only a status (of a destination) holding under a fiftieth of the events.
   */
  function searchInStatus(query: EventQuery): boolean {
    if (!query.search || query.status === undefined) return false
    const inStatus = countInStatus.get({
      status: query.status,
      destination: query.destination ?? null
    }) as number
    return inStatus * SEARCH_IN_STATUS_SHARE < (countAll.get() as number)
  }

  /** Statements are built per filter combination (at most 40) and kept, so each stays prepared. */
  function listStatement(query: EventQuery): Database.Statement {
    const sql = listSql(query, searchInStatus(query))
    let statement = listStatements.get(sql)
    if (!statement) {
      statement = db.prepare(sql)
      listStatements.set(sql, statement)
    }
    return statement
  }

  function listEvents(query: EventQuery): { events: EventSummary[]; nextBeforeId: number | null } {
    const limit = query.limit ?? 100
    const search = query.search ? `%${query.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : undefined
    const rows = timed('listEvents', () =>
      listStatement(query).all({
        destination: query.destination,
        status: query.status,
        search,
        exact: query.search,
        attemptId: query.attemptId,
        beforeId: query.beforeId,
        // One more than the page tells whether there is a next one.
        limit: limit + 1
      })
    ) as EventRow[]
    const page = rows.slice(0, limit).map(toSummary)
    return { events: page, nextBeforeId: rows.length > limit ? (page[page.length - 1]?.id ?? null) : null }
  }

  /** One read transaction: the attempts and history shown belong to the row shown, whatever commits meanwhile. */
  const getEvent: (id: number) => EventDetail | null = db.transaction((id: number) => {
    const row = selectEvent.get(id) as (EventRow & PayloadColumns) | undefined
    if (!row) return null
    const attempts = (selectAttempts.all(id) as AttemptRow[]).map(toAttempt)
    const history = (selectHistory.all(id) as (Omit<UserAction, 'at'> & { at: number })[]).map((action) => ({
      ...action,
      at: iso(action.at) as string
    }))
    return { ...toExported(row), attemptsLog: attempts, history }
  })

  return { countsByDestination, listEvents, getEvent }
}

export type Queries = ReturnType<typeof createQueries>
