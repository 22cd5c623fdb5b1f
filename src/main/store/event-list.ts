import type Database from 'better-sqlite3'
import { EVENT_STATUSES, type EventCount, type EventPage, type EventQuery } from '@shared/model'
import { type EventRow, SUMMARY_COLUMNS, toSummary } from './event-row'
import {
  type AttachedSearchIndex,
  attachSearchIndex,
  BLOCK_BITS,
  type IndexedUpTo,
  partBounds,
  partTable
} from './search-index'
import {
  registerSearchFunctions,
  type SearchTime,
  SearchTimeSpent,
  searchTerm,
  trigramQuery
} from './search-text'
import { isDamage } from './storage-errors'

/**
 * The UI's event list and its count, read newest first without sorting the outbox.
 *
 * Ids grow with receipt, so every filter is read as stretches of ids, newest first:
 * - a time range: the stretches whose events can have been received in it, from the search
 *   index's received_blocks (each block of 1,024 ids, its earliest and latest receipt), so it holds
 *   whatever the clock did; received_at is checked only in blocks not wholly inside the range. Ids
 *   the index has not reached are one stretch, checked event by event. Without a time range, one
 *   stretch of every id (below `beforeId` when paging);
 * - within a stretch, the other filters through the index meant for them (migrations 1, 8, 13):
 *   one upstream request (`attemptId`): its events (attempt_events_attempt), at most a batch; a
 *   name: its range of outbox_name (name, id, destination), unless a status holding under a
 *   fiftieth of the events narrows it more (support's "failed checkouts"): then that status's
 *   range, the name checked on each event; the other filters checked on each event, the
 *   destination in the index; a status: its range of outbox_status (status, id, destination), the
 *   destination checked in the index; a destination alone: the ranges of the statuses it has events in (status_counts),
 *   merged by SQLite (a compound SELECT ordered by id reads each range in order and stops at the
 *   limit); nothing: the ids. A unary `+` keeps SQLite from leading with an index not meant to lead.
 * - a user key is searched for: an index of user keys cost ingest as much again per event (a
 *   B-tree entry at a random place of a large index: 20 -> 44 µs an event in batches at 300,000
 *   rows), while the trigram index, kept off the ingest thread, finds the events holding the key,
 *   each then checked to be that user's;
 * - a search (search-text.ts says what matches): the ids the trigram index gives, each checked
 *   against the event itself (eventMatches), which also drops entries of events since edited or
 *   pruned; events the index has not reached (new ones, or edited since) are read and checked
 *   directly, so a committed event is found at once. A term shorter than a trigram, or a search
 *   within a status holding under a fiftieth of the events (support's "failed events of one
 *   user"), reads the events and checks each. A search checks events newest first for at most a
 *   time budget: a page that ran out of it ends early with `searchedBackTo`, and `nextBeforeId`
 *   goes on from there ("search older"); a count that ran out says it is not exact.
 */

/** How long one page of a search, and one count, may check events before answering with what it has. */
export interface ListBudgets {
  pageMs: number
  countMs: number
  /** Events checked before a budget may stop a search: a few ms' worth. */
  atLeast: number
}

export const DEFAULT_BUDGETS: ListBudgets = { pageMs: 30, countMs: 250, atLeast: 1_000 }

/** A count stops here: a person reads "10,000 or more" as well as the exact figure. */
export const COUNT_CAP = 10_000

/** A search with a status, or a name with one, reads that status's events when they are under 1/SHARE of all events. */
const FEW_IN_STATUS_SHARE = 50

const NO_BOUND = Number.MAX_SAFE_INTEGER

/** A stretch of ids to read; `checkTime` when some of its events may lie outside the time range. */
interface IdRange {
  lo: number
  hi: number
  checkTime: boolean
  /** Read through the trigram index, or event by event. */
  source: 'index' | 'events'
}

/** The ids of `outbox` matching all `conditions`. */
function idsWhere(conditions: string[]): string {
  return `SELECT id FROM outbox WHERE ${conditions.join(' AND ')}`
}

/** A destination's events in one status, read only when the status ledger says there are some. */
function destinationInStatus(status: string): string[] {
  return [
    `status = ${status}`,
    'destination = @destination',
    `EXISTS (SELECT 1 FROM status_counts WHERE destination = @destination AND status = ${status} AND n > 0)`
  ]
}

const MATCHES = 'event_matches(outbox.id, name, user_key, message_id, payload, @term)'

/** The time range, where a stretch may hold events outside it. */
function timeConditions(checkTime: boolean): string[] {
  return checkTime ? ['received_at >= @from', 'received_at <= @to'] : []
}

/** The stretch's bounds, and the time range where it must be checked. */
function boundConditions(checkTime: boolean): string[] {
  return ['id >= @lo', 'id <= @hi', ...timeConditions(checkTime)]
}

/** The exact key a list reads through its own index; null for none. */
type KeyFilter = 'name'

/**
 * The key whose index leads: a name, unless `fewInStatus` (the query's status holds under a
 * fiftieth of the events), when the status's range is narrower.
 */
function keyFilterOf(query: EventQuery, fewInStatus = false): KeyFilter | null {
  if (query.name === undefined || (query.status !== undefined && fewInStatus)) return null
  return 'name'
}

/** A user key is checked on each event found (never read through an index: see the module's comment). */
function userChecked(query: EventQuery): string[] {
  return query.user === undefined ? [] : ['+user_key = @user']
}

/** A name not read through its index is checked on each event found. */
function nameChecked(query: EventQuery, key: KeyFilter | null): string[] {
  return query.name === undefined || key !== null ? [] : ['+name = @name']
}

/** The range of a key's index: its events, in id order. */
const KEY_RANGE: Record<KeyFilter, string> = { name: 'name = @name' }

/**
 * The filters checked on an event already found (never leading: a unary + on each column), but
 * the key that `leading` reads through its index.
 */
function checkedFilters(query: EventQuery, leading: KeyFilter | null = null): string[] {
  return [
    ...(query.destination === undefined ? [] : ['+destination = @destination']),
    ...(query.status === undefined ? [] : ['+status = @status']),
    ...(query.name === undefined || leading === 'name' ? [] : ['+name = @name']),
    ...userChecked(query)
  ]
}

/** One upstream request's events, at most a batch: every other filter is checked on them. */
function requestEvents(query: EventQuery, checkTime: boolean): string[] {
  const events = 'id IN (SELECT event_id FROM attempt_events WHERE attempt_id = @attemptId)'
  const search = isSearched(query) ? [MATCHES] : []
  return [events, ...checkedFilters(query), ...boundConditions(checkTime), ...search]
}

/**
 * The id ranges of a list without a search, within one stretch (see the module's comment);
 * `fewInStatus` when the query's status holds under a fiftieth of the events.
 */
function filterRanges(query: EventQuery, checkTime: boolean, fewInStatus: boolean): string[] {
  const bounds = boundConditions(checkTime)
  if (query.attemptId !== undefined) return [idsWhere(requestEvents(query, checkTime))]
  const key = keyFilterOf(query, fewInStatus)
  if (key !== null) return [idsWhere([KEY_RANGE[key], ...checkedFilters(query, key), ...bounds])]
  if (query.status !== undefined) {
    const statusRange =
      query.destination === undefined ? ['status = @status'] : destinationInStatus('@status')
    return [idsWhere([...statusRange, ...nameChecked(query, key), ...bounds])]
  }
  if (query.destination !== undefined)
    return EVENT_STATUSES.map((status) => idsWhere([...destinationInStatus(`'${status}'`), ...bounds]))
  return [idsWhere(bounds)]
}

/** A list page without a search, within one stretch: the newest `@limit` ids, then their rows. */
export function filterPageSql(query: EventQuery, checkTime: boolean, fewInStatus: boolean): string {
  const ids = filterRanges(query, checkTime, fewInStatus).join(' UNION ALL ')
  return `SELECT ${SUMMARY_COLUMNS} FROM outbox WHERE id IN (${ids} ORDER BY id DESC LIMIT @limit) ORDER BY id DESC`
}

export function filterCountSql(query: EventQuery, checkTime: boolean, fewInStatus: boolean): string {
  return `SELECT count(*) FROM (${filterRanges(query, checkTime, fewInStatus).join(' UNION ALL ')})`
}

/**
 * A search within one stretch, newest first, read event by event: one request's events; else the
 * range of the user's or the name's index (as filterRanges picks it), else the status's range of
 * outbox_status when there is a status, else the ids; the rest checked on each.
 */
export function searchEventsSql(
  query: EventQuery,
  checkTime: boolean,
  columns: string,
  fewInStatus: boolean
): string {
  const key = keyFilterOf(query, fewInStatus)
  const leading = key !== null ? [KEY_RANGE[key]] : query.status === undefined ? [] : ['status = @status']
  // Without a key, the status (if any) leads.
  const destination = query.destination === undefined ? [] : ['+destination = @destination']
  const checked =
    key !== null
      ? checkedFilters(query, key)
      : [...destination, ...nameChecked(query, key), ...userChecked(query)]
  const where =
    query.attemptId !== undefined
      ? requestEvents(query, checkTime)
      : [...boundConditions(checkTime), ...leading, ...checked, MATCHES]
  return `SELECT ${columns} FROM outbox WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT @limit`
}

/**
 * A search within one stretch of one part of the trigram index, newest first; edits the index has
 * not read are left to editedSql.
 */
export function searchIndexSql(query: EventQuery, part: number, checkTime: boolean, columns: string): string {
  const table = partTable(part)
  // A part keys each id by how far it is below the part's last id (search-index.ts): its forward
  // order is newest first.
  const last = partBounds(part).hi
  const where = [
    `${table} MATCH @match`,
    `${table}.rowid >= ${last} - @hi`,
    `${table}.rowid <= ${last} - @lo`,
    `${last} - ${table}.rowid NOT IN (SELECT value FROM json_each(@edited))`,
    ...timeConditions(checkTime),
    ...checkedFilters(query),
    MATCHES
  ]
  return `SELECT ${columns} FROM search.${table} JOIN outbox ON outbox.id = ${last} - ${table}.rowid
    WHERE ${where.join(' AND ')} ORDER BY ${table}.rowid LIMIT @limit`
}

/** Events edited since the index read them (search_changes), checked directly. */
export function editedSql(query: EventQuery, checkTime: boolean, columns: string): string {
  const where = [
    'id IN (SELECT value FROM json_each(@edited))',
    ...boundConditions(checkTime),
    ...checkedFilters(query),
    MATCHES
  ]
  return `SELECT ${columns} FROM outbox WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT @limit`
}

/** What a count reads of each match: its id alone. */
const COUNTED_COLUMNS = 'outbox.id AS id'

/** Named parameters of every statement here; each statement reads the ones it names. */
interface Params {
  destination?: string
  status?: string
  name?: string
  user?: string
  attemptId?: number
  from: number
  to: number
  lo: number
  hi: number
  limit: number
  term?: string
  match?: string | null
  edited: string
}

function timeOf(iso: string | undefined, fallback: number): number {
  return iso === undefined ? fallback : Date.parse(iso)
}

/** Read by searching: a search, or a user key (see the module's comment). */
const isSearched = (query: EventQuery) => Boolean(query.search) || query.user !== undefined

const isTimed = (query: EventQuery) => query.receivedFrom !== undefined || query.receivedTo !== undefined

export interface EventList {
  listEvents(query: EventQuery): EventPage
  countEvents(query: EventQuery): EventCount
}

/** Where a search stands: its events found, and where it stopped when its time ran out (checks below that id are left). */
interface SearchResult {
  rows: EventRow[]
  stoppedBelow: number | null
}

/**
 * The list and count over `db`: the reader's read-only connection, with the search index file
 * attached when there is one (`searchIndexFile`), or the store's own connection (no index: every
 * search reads the events, within its budget).
 */
export function createEventList(
  db: Database.Database,
  options: { searchIndexFile?: string; budgets?: Partial<ListBudgets> } = {}
): EventList {
  const budgets = { ...DEFAULT_BUDGETS, ...options.budgets }
  let searchTime: SearchTime | null = null
  registerSearchFunctions(db, () => searchTime)
  const index: AttachedSearchIndex | null =
    options.searchIndexFile === undefined ? null : attachSearchIndex(db, options.searchIndexFile)
  const statements = new Map<string, Database.Statement>()
  const countInStatus = db
    .prepare(
      `SELECT coalesce(sum(n), 0) FROM status_counts
       WHERE status = @status AND (@destination IS NULL OR destination = @destination)`
    )
    .pluck()
  const countAll = db.prepare(`SELECT coalesce(sum(n), 0) FROM status_counts`).pluck()
  const countLedger = db
    .prepare(
      `SELECT coalesce(sum(n), 0) FROM status_counts
       WHERE (@destination IS NULL OR destination = @destination) AND (@status IS NULL OR status = @status)`
    )
    .pluck()
  const editedSince = db
    .prepare(`SELECT DISTINCT event_id FROM search_changes WHERE seq > ? ORDER BY event_id`)
    .pluck()
  const firstChange = db.prepare(`SELECT min(seq) FROM search_changes`).pluck()
  const newestId = db.prepare(`SELECT coalesce(max(id), 0) FROM outbox`).pluck()
  const oldestReceivedFrom = db
    .prepare(`SELECT received_at FROM outbox WHERE id >= ? ORDER BY id LIMIT 1`)
    .pluck()

  /** Statements are built per filter combination (and part of the index) and kept, so each stays prepared. */
  function statement(sql: string, cache = statements): Database.Statement {
    let prepared = cache.get(sql)
    if (!prepared) {
      prepared = db.prepare(sql)
      cache.set(sql, prepared)
    }
    return prepared
  }

  /** The statements of each part of the index; those of a part the indexer dropped are let go. */
  const partStatements = new Map<number, Map<string, Database.Statement>>()
  function statementsOfParts(parts: number[]): (part: number) => Map<string, Database.Statement> {
    for (const part of partStatements.keys()) if (!parts.includes(part)) partStatements.delete(part)
    return (part) => {
      let cache = partStatements.get(part)
      if (!cache) partStatements.set(part, (cache = new Map()))
      return cache
    }
  }

  /**
   * The index's state for a search, or null when its text cannot be trusted: edits it has not read
   * are no longer all in the change log (its indexer stopped long ago; it will start over).
   */
  function textIndexState(): IndexedUpTo | null {
    const state = index?.state() ?? null
    const first = firstChange.get() as number | null
    return state !== null && first !== null && first > state.changesApplied + 1 ? null : state
  }

  /**
   * Whether the query's status holds under a fiftieth of the events (of its destination): a search
   * with it reads that status's events rather than the index, a name its range rather than the name's.
   */
  function fewInStatus(query: EventQuery): boolean {
    if (query.status === undefined) return false
    const inStatus = countInStatus.get({
      status: query.status,
      destination: query.destination ?? null
    }) as number
    return inStatus * FEW_IN_STATUS_SHARE < (countAll.get() as number)
  }

  /** The stretches to read, newest first (see the module's comment). */
  function rangesOf(
    query: EventQuery,
    params: Params,
    state: IndexedUpTo | null,
    searchable: boolean
  ): IdRange[] {
    const newest = newestId.get() as number
    const top = query.beforeId === undefined ? newest : Math.min(newest, query.beforeId - 1)
    const timed = isTimed(query)
    if (state === null) return [{ lo: 1, hi: top, checkTime: timed, source: 'events' }]
    const indexed = state.indexedThrough
    const source = searchable ? 'index' : 'events'
    const ranges: IdRange[] = [{ lo: indexed + 1, hi: top, checkTime: timed, source: 'events' }]
    if (!timed) ranges.push({ lo: 1, hi: Math.min(top, indexed), checkTime: false, source })
    else
      for (const block of index!.blocksOverlapping(params.from, params.to)) {
        const range: IdRange = {
          lo: block.block << BLOCK_BITS,
          hi: Math.min(top, indexed, ((block.block + 1) << BLOCK_BITS) - 1),
          checkTime: block.firstReceived < params.from || block.lastReceived > params.to,
          source
        }
        const last = ranges[ranges.length - 1]!
        if (last.lo === range.hi + 1 && last.checkTime === range.checkTime && last.source === source)
          last.lo = range.lo
        else ranges.push(range)
      }
    return ranges.filter((range) => range.lo <= range.hi)
  }

  function paramsOf(query: EventQuery): Params {
    // A user key alone is searched for (see the module's comment); with a search, checked on its finds.
    const searched = query.search || query.user
    const term = searched ? searchTerm(searched) : undefined
    return {
      destination: query.destination,
      status: query.status,
      name: query.name,
      user: query.user,
      attemptId: query.attemptId,
      from: timeOf(query.receivedFrom, -NO_BOUND),
      to: timeOf(query.receivedTo, NO_BOUND),
      lo: 1,
      hi: NO_BOUND,
      limit: 0,
      term,
      match: term === undefined ? null : trigramQuery(term, index?.commonTrigrams()),
      edited: '[]'
    }
  }

  function pageOf(rows: EventRow[], limit: number): EventPage {
    const page = rows.slice(0, limit).map(toSummary)
    return { events: page, nextBeforeId: rows.length > limit ? (page[page.length - 1]?.id ?? null) : null }
  }

  /** The list without a search: each stretch through its filters' indexes, until the page is full. */
  function filteredPage(query: EventQuery, params: Params, limit: number): EventPage {
    const rows: EventRow[] = []
    const few = fewInStatus(query)
    for (const range of rangesOf(query, params, index?.state() ?? null, false)) {
      const found = statement(filterPageSql(query, range.checkTime, few)).all({
        ...params,
        ...range,
        limit: limit + 1 - rows.length
      }) as EventRow[]
      rows.push(...found)
      if (rows.length > limit) break
    }
    return pageOf(rows, limit)
  }

  function filteredCount(query: EventQuery, params: Params): EventCount {
    const ledgerCounts = !isTimed(query) && query.attemptId === undefined && query.name === undefined
    if (ledgerCounts) {
      const ledger = { destination: query.destination ?? null, status: query.status ?? null }
      return { count: countLedger.get(ledger) as number, exact: true }
    }
    let count = 0
    const few = fewInStatus(query)
    for (const range of rangesOf(query, params, index?.state() ?? null, false))
      count += statement(filterCountSql(query, range.checkTime, few))
        .pluck()
        .get({ ...params, ...range }) as number
    return { count, exact: true }
  }

  /**
   * Up to `wanted` events of a search, newest first, checking events until the time `budgetMs` is
   * spent (event_matches ends the statement then). Through the index, a stretch's events edited
   * since it read them are checked after it, within what it reached, without a deadline (they are few).
   */
  function search(
    query: EventQuery,
    params: Params,
    wanted: number,
    budgetMs: number,
    columns: string
  ): SearchResult {
    const few = fewInStatus(query)
    const searchable = params.match !== null && query.attemptId === undefined && !few
    const state = textIndexState()
    const edited = JSON.stringify(state === null ? [] : (editedSince.all(state.changesApplied) as number[]))
    const parts = searchable && index ? index.parts() : []
    const cacheOf = statementsOfParts(parts)
    const time: SearchTime = {
      deadline: performance.now() + budgetMs,
      atLeast: budgets.atLeast,
      checked: 0,
      lowestChecked: null
    }
    const rows: EventRow[] = []
    for (const range of rangesOf(query, params, state, searchable)) {
      const found: EventRow[] = []
      const readPiece = (prepared: Database.Statement, lo: number, hi: number) => {
        const bound = { ...params, ...range, lo, hi, edited, limit: wanted - rows.length - found.length }
        for (const row of prepared.iterate(bound)) found.push(row as EventRow)
      }
      let stoppedBelow: number | null = null
      searchTime = time
      try {
        if (range.source === 'events')
          readPiece(statement(searchEventsSql(query, range.checkTime, columns, few)), range.lo, range.hi)
        else
          for (const part of parts) {
            const { lo, hi } = partBounds(part)
            if (lo > range.hi || hi < range.lo) continue
            const prepared = statement(searchIndexSql(query, part, range.checkTime, columns), cacheOf(part))
            readPiece(prepared, Math.max(lo, range.lo), Math.min(hi, range.hi))
            if (rows.length + found.length >= wanted) break
          }
      } catch (error) {
        if (!(error instanceof SearchTimeSpent)) throw error
        stoppedBelow = time.lowestChecked
      } finally {
        searchTime = null
      }
      if (range.source === 'index') {
        const reached = {
          ...params,
          ...range,
          lo: stoppedBelow ?? range.lo,
          edited,
          limit: wanted - rows.length
        }
        found.push(...(statement(editedSql(query, range.checkTime, columns)).all(reached) as EventRow[]))
        found.sort((a, b) => b.id - a.id)
      }
      rows.push(...found.slice(0, wanted - rows.length))
      if (stoppedBelow !== null) return { rows, stoppedBelow }
      if (rows.length >= wanted) break
    }
    return { rows, stoppedBelow: null }
  }

  function searchedPage(query: EventQuery, params: Params, limit: number): EventPage {
    const { rows, stoppedBelow } = search(query, params, limit + 1, budgets.pageMs, SUMMARY_COLUMNS)
    if (stoppedBelow === null || rows.length > limit) return pageOf(rows, limit)
    const searchedBackTo = oldestReceivedFrom.get(stoppedBelow) as number | undefined
    return {
      events: rows.map(toSummary),
      nextBeforeId: stoppedBelow,
      ...(searchedBackTo === undefined ? {} : { searchedBackTo: new Date(searchedBackTo).toISOString() })
    }
  }

  function searchedCount(query: EventQuery, params: Params): EventCount {
    const { rows, stoppedBelow } = search(query, params, COUNT_CAP, budgets.countMs, COUNTED_COLUMNS)
    return { count: rows.length, exact: stoppedBelow === null && rows.length < COUNT_CAP }
  }

  // One read transaction each: the index's state and the outbox are read as of one moment.
  const listEvents = db.transaction((query: EventQuery): EventPage => {
    const params = paramsOf(query)
    const limit = query.limit ?? 100
    return isSearched(query) ? searchedPage(query, params, limit) : filteredPage(query, params, limit)
  })
  const countEvents = db.transaction((query: EventQuery): EventCount => {
    const params = paramsOf(query)
    return isSearched(query) ? searchedCount(query, params) : filteredCount(query, params)
  })

  /** Runs a read with the index as it now is; a damaged index is set aside and the read done without it. */
  function withIndex<T>(read: () => T): T {
    index?.refresh()
    try {
      return read()
    } catch (error) {
      if (!isDamage(error) || !index?.setAside()) throw error
      return read()
    }
  }

  return {
    listEvents: (query) => withIndex(() => listEvents(query)),
    countEvents: (query) => withIndex(() => countEvents(query))
  }
}
