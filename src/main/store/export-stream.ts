import Database from 'better-sqlite3'
import { Readable } from 'node:stream'
import { setImmediate as nextTurn } from 'node:timers/promises'
import type { ExportFormat } from '@shared/api'
import type { EventFilter, ExportProgress, VendorId } from '@shared/model'
import { eventFilterSql } from './event-filter'
import { registerSearchFunctions } from './search-text'
import { PAYLOAD_COLUMNS, SUMMARY_COLUMNS, toSummary, type EventRow, type PayloadColumns } from './event-row'

/**
 * A page is read in one turn of the event loop, and ingest waits behind at most one: its bounds keep
 * that short. Measured exporting 800 MB while posting events one after another: pages of 1 MB took
 * ingest's median from ~1.5 ms to ~12 ms, pages of 256 KB to ~3-5 ms.
 */
const PAGE_ROWS = 250
/** Most text one page holds (in UTF-16 units); a single larger event still makes a page of its own. */
const PAGE_CHARS = 1 << 18
/**
 * A page is handed on in pieces of about this much text: a string this small lives and dies in V8's
 * young generation, where one above 128 KB is put straight among the old, freed only by a full collection.
 */
const CHUNK_CHARS = 32 * 1024
/**
 * Most ids one page examines: a filter that rarely matches (a search) then reads a bounded stretch
 * of the outbox per turn of the event loop instead of scanning to the end for a page of matches.
 */
const PAGE_ID_SPAN = 5_000

export interface ExportRequest {
  filter: EventFilter
  format: ExportFormat
  /** When the export was asked for; the JSON format's header says it. */
  exportedAt: string
}

/** Running exports, read from their own read-only connections. */
export interface EventExports {
  /**
   * The export as a byte stream, read a page at a time as its consumer drains it: every event the
   * filter matches among those stored when reading began, newest first. Progress is reported after
   * every page and at the end.
   */
  open(request: ExportRequest, onProgress?: (progress: ExportProgress) => void): Readable
  /** Ends every running export with an error (a cut-short download must not look whole), refuses new ones. */
  close(): void
}

type ExportRow = EventRow & PayloadColumns & { upstream_params: string | null }

const EXPORT_COLUMNS = `${SUMMARY_COLUMNS}, ${PAYLOAD_COLUMNS}, upstream_params`

/** The vendor of a destination id, null when the collector no longer has that destination. */
export type VendorOf = (destination: string) => VendorId | null

/**
 * An ExportedEventLine as JSON text, its payloads embedded as the client's own JSON text, never parsed
 * and written again (that would round integers beyond 2^53 and turn `1.0` into `1`). The vendor and
 * the request parameters are what another collector's import needs to take the event.
 */
function eventJson(row: ExportRow, vendorOf: VendorOf, payloadText: (text: string) => string): string {
  const summary = JSON.stringify(toSummary(row)).slice(0, -1)
  const vendor = JSON.stringify(vendorOf(row.destination))
  // Outpost wrote the parameters (JSON.stringify of strings), one line already.
  const params = row.upstream_params ?? 'null'
  return `${summary},"vendor":${vendor},"upstreamParams":${params},"receivedPayload":${payloadText(row.received_payload)},"payload":${payloadText(row.payload)},"revision":${row.revision}}`
}

/**
 * Stored payloads are valid JSON, where CR and LF can only be whitespace between tokens (inside a
 * string they are escaped), so a space in their place keeps every value and one event per line.
 */
const oneLine = (text: string): string => text.replace(/[\r\n]/g, ' ')
const asStored = (text: string): string => text

const CSV_COLUMNS = [
  'id',
  'destination',
  'kind',
  'name',
  'userKey',
  'messageId',
  'status',
  'attempts',
  'occurredAt',
  'receivedAt',
  'sentAt',
  'nextAttemptAt',
  'lastStatus',
  'lastError',
  'revision',
  'receivedPayload',
  'payload'
] as const

/** RFC 4180: a field with a quote, comma or line break is quoted, its quotes doubled. */
const quoted = (text: string): string => `"${text.replace(/"/g, '""')}"`
function csvField(value: string | number | null): string {
  if (value === null) return ''
  const text = String(value)
  return /[",\r\n]/.test(text) ? quoted(text) : text
}

function csvRow(row: ExportRow): string {
  const summary = toSummary(row)
  const fields = CSV_COLUMNS.map((column) => {
    if (column === 'revision') return String(row.revision)
    // Always quoted: the payload is the column people look for, and JSON text is full of quotes.
    if (column === 'receivedPayload') return quoted(row.received_payload)
    if (column === 'payload') return quoted(row.payload)
    return csvField(summary[column])
  })
  return `${fields.join(',')}\r\n`
}

/** How one format frames its events: what comes before the first, each event (by its place), after the last. */
interface Encoding {
  head: string
  event(row: ExportRow, index: number): string
  tail: string
}

function encodingOf({ format, filter, exportedAt }: ExportRequest, vendorOf: VendorOf): Encoding {
  switch (format) {
    case 'ndjson':
      return { head: '', event: (row) => `${eventJson(row, vendorOf, oneLine)}\n`, tail: '' }
    case 'csv':
      return { head: `${CSV_COLUMNS.join(',')}\r\n`, event: csvRow, tail: '' }
    case 'json':
      return {
        head: `{"exportedAt":${JSON.stringify(exportedAt)},"query":${JSON.stringify(filter)},"events":[\n`,
        event: (row, index) => `${index === 0 ? '' : ',\n'}${eventJson(row, vendorOf, asStored)}`,
        tail: '\n]}\n'
      }
  }
}

/**
 * One page: the filter's matches in a stretch of ids, newest first. Exported for the plan test: each
 * filter must seek the id range (no scan past it, no sort).
 */
export function exportPageSql(filter: EventFilter): string {
  const { conditions } = eventFilterSql(filter, { seekDestination: false })
  const where = [...conditions, 'id < @before', 'id >= @floor'].join(' AND ')
  return `SELECT ${EXPORT_COLUMNS} FROM outbox WHERE ${where} ORDER BY id DESC LIMIT ${PAGE_ROWS}`
}

/** The statements one export runs, on its own connection. */
function exportStatements(db: Database.Database, filter: EventFilter) {
  const { params } = eventFilterSql(filter)
  const page = db.prepare(exportPageSql(filter))
  const idRange = db.prepare(
    `SELECT (SELECT min(id) FROM outbox) AS lowest, (SELECT max(id) FROM outbox) AS highest`
  )
  // The ledger triggers keep (migration 5) counts destination and status filters for free; a search,
  // a name, a user, a time range or a request's events would need a scan of their own, so those
  // report rows only.
  const countable =
    !filter.search &&
    filter.attemptId === undefined &&
    filter.name === undefined &&
    filter.user === undefined &&
    filter.receivedFrom === undefined &&
    filter.receivedTo === undefined
  const count = db.prepare(`
    SELECT coalesce(sum(n), 0) AS total FROM status_counts
    WHERE (@destination IS NULL OR destination = @destination) AND (@status IS NULL OR status = @status)`)
  const start = db.transaction(() => {
    const { lowest, highest } = idRange.get() as { lowest: number | null; highest: number | null }
    const total = countable
      ? (
          count.get({ destination: filter.destination ?? null, status: filter.status ?? null }) as {
            total: number
          }
        ).total
      : null
    return { lowest, highest, total }
  })
  return { page, params, start }
}

/**
 * Reads one page, in one go so that the read ends before anything waits: the page's text in
 * chunks, how many rows it held, the last (lowest) id, and whether it was cut by a page limit.
 */
function readPage(rows: IterableIterator<unknown>, encoding: Encoding, written: number) {
  const chunks: string[] = []
  let chunk = ''
  let chars = 0
  let read = 0
  let lastId = 0
  for (const row of rows as IterableIterator<ExportRow>) {
    const text = encoding.event(row, written + read)
    read++
    lastId = row.id
    chars += text.length
    chunk += text
    if (chunk.length >= CHUNK_CHARS) {
      chunks.push(chunk)
      chunk = ''
    }
    // Leaving the loop early resets the statement, which ends its read.
    if (chars >= PAGE_CHARS) break
  }
  if (chunk) chunks.push(chunk)
  return { chunks, read, lastId, full: read === PAGE_ROWS || chars >= PAGE_CHARS }
}

/**
 * The export's text, a page per turn of the event loop. Pages are keyed by id (`id < last`), each
 * its own short read, so the writer's WAL can be checkpointed between them and nothing holds more
 * than a page; events stored after the start (higher ids) are left out.
 */
async function* exportText(
  file: string,
  request: ExportRequest,
  vendorOf: VendorOf,
  onProgress: (progress: ExportProgress) => void,
  stopped: () => boolean
): AsyncGenerator<string> {
  // Opened here, not before the first read: a stream destroyed unread never starts this body.
  const db = new Database(file, { readonly: true, fileMustExist: true })
  try {
    db.pragma('busy_timeout = 5000')
    registerSearchFunctions(db)
    const { page, params, start } = exportStatements(db, request.filter)
    const encoding = encodingOf(request, vendorOf)
    const { lowest, highest, total } = start()
    let rows = 0
    if (encoding.head) yield encoding.head
    let before = highest === null ? 0 : highest + 1
    while (lowest !== null && before > lowest) {
      const floor = Math.max(lowest, before - PAGE_ID_SPAN)
      const { chunks, read, lastId, full } = readPage(
        page.iterate({ ...params, before, floor }),
        encoding,
        rows
      )
      rows += read
      // A full page may have left rows above the floor; otherwise the stretch down to it is done.
      before = full ? lastId : floor
      yield* chunks
      if (read > 0) onProgress({ rows, total })
      await nextTurn()
      if (stopped()) throw new Error('Outpost is stopping: the export was cut short')
    }
    if (encoding.tail) yield encoding.tail
    onProgress({ rows, total })
  } finally {
    db.close()
  }
}

/** Exports of the outbox in `file`, each read on a read-only connection of its own beside the writer (WAL). */
export function createEventExports(file: string, vendorOf: VendorOf = () => null): EventExports {
  const running = new Set<Readable>()
  let closed = false
  return {
    open(request, onProgress = () => undefined) {
      if (closed) throw new Error('Outpost is stopping: no new export')
      // Bytes, not objects: the stream holds one page beyond its 16 KB mark, not 16 pages.
      const stream = Readable.from(
        exportText(file, request, vendorOf, onProgress, () => closed),
        { objectMode: false }
      )
      running.add(stream)
      stream.once('close', () => running.delete(stream))
      return stream
    },
    close() {
      closed = true
      for (const stream of running) stream.destroy(new Error('Outpost is stopping: the export was cut short'))
    }
  }
}
