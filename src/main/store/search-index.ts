import Database from 'better-sqlite3'
import { rmSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { restrictToOwner } from '../file-modes'
import { openReadConnection } from './reader'
import { searchableText, trigramsOf, VALUE_SEPARATOR, type SearchableEvent } from './search-text'
import { isDamage } from './storage-errors'

/**
 * The payload search index: a file of its own beside the outbox, written only by the indexer (a
 * worker thread, search-indexer.ts), so its writes never take the outbox's write lock and ingest
 * never waits for them. It holds nothing that cannot be read again from the outbox: a missing,
 * damaged or foreign index (another outbox's, see outbox_identity) is rebuilt from it.
 *
 * - event_text_<part>: FTS5 trigram indexes of each event's searchable text (search-text.ts), one
 *   per part of 65,536 ids, keyed by how far the event's id is below the part's last id. Contentless (the text is not stored
 *   again) and without positions (detail=none): 179 bytes an event at a million, against 619 with
 *   positions; a query asks for every trigram of the term and each hit is checked against the event
 *   itself (eventMatches). FTS5 reads a term's ids forward lazily but loads them whole to read
 *   them backwards, so the key grows as ids fall and newest first is its forward order. It also walks a
 *   term's ids to reach a place in them: one index of a million events took 30-100 ms to start
 *   reading below an id (a second page, a time range), a part takes a few. `parts` lists them; a
 *   part the sweep empties is dropped.
 * - received_blocks: the earliest and latest received_at of each block of 1,024 ids, so a time
 *   range is read as the id stretches whose events can lie in it, whatever the clock did (ids grow
 *   with receipt; received_at may go back when the clock is set back).
 * - common_trigrams: the trigrams a quarter or more of the events hold, in a sample of the last
 *   large step; a query leaves them out when the term has others (trigramQuery).
 * - index_state: which outbox, up to which id every event is indexed, which edits
 *   (search_changes) are applied, where the sweep stands.
 *
 * Readers must treat events above indexed_through, and edits after changes_applied, as not indexed
 * yet (event-list.ts reads them from the outbox directly), so an event is searchable as soon as it
 * is committed and the index only makes finding it faster.
 */

export const SEARCH_INDEX_FILE = 'outbox-search.sqlite'

/** Bumped whenever the index's schema or text changes: an index of another version is rebuilt. */
export const SCHEMA_VERSION = 1

/** Ids per received_blocks row (a shift: a block is `id >> BLOCK_BITS`). */
export const BLOCK_BITS = 10
/** Ids per part of the text index (a shift: a part is `id >> PART_BITS`). */
export const PART_BITS = 16

const SCHEMA = `
  CREATE TABLE parts (
    part    INTEGER PRIMARY KEY,
    entries INTEGER NOT NULL
  );
  CREATE TABLE received_blocks (
    block          INTEGER PRIMARY KEY,
    first_received INTEGER NOT NULL,
    last_received  INTEGER NOT NULL
  );
  CREATE TABLE common_trigrams (trigram TEXT PRIMARY KEY) WITHOUT ROWID;
  CREATE TABLE index_state (
    only            INTEGER PRIMARY KEY CHECK (only = 1),
    outbox          TEXT    NOT NULL,
    indexed_through INTEGER NOT NULL,
    changes_applied INTEGER NOT NULL,
    swept_through   INTEGER NOT NULL
  );
`

/** The FTS5 table of one part (a part is a number: the name is never the client's text). */
export const partTable = (part: number): string => `event_text_${part}`

/** The first and last id of a part. */
export const partBounds = (part: number) => ({ lo: part << PART_BITS, hi: ((part + 1) << PART_BITS) - 1 })

/** The index file of the outbox `outboxFile`. */
export function searchIndexFileOf(outboxFile: string): string {
  return join(dirname(outboxFile), SEARCH_INDEX_FILE)
}

/** What a reader needs to know of the index: events above these were not indexed yet. */
export interface IndexedUpTo {
  indexedThrough: number
  changesApplied: number
}

/** Work one step does, at most: a step is one short transaction on the index. */
const STEP_ROWS = 1_000
const STEP_CHANGES = 500
/** A step of this many new events or more samples them for the common trigrams: one in SAMPLE_EVERY. */
const SAMPLE_ROWS = 500
const SAMPLE_EVERY = 4
/** A trigram held by this share of the sampled events or more is common. */
const COMMON_SHARE = 0.25

export interface IndexProgress {
  /** Every event up to this id is in the index. */
  indexedThrough: number
  /** The newest event of the outbox when the step read it. */
  newest: number
}

export type StepOutcome = 'indexed' | 'swept' | 'idle'

export interface SearchIndexWriter {
  /** One bounded step: edits, then new events, else a part of the sweep; 'idle' when nothing was left. */
  step(): StepOutcome
  progress(): IndexProgress
  close(): void
}

interface OutboxRow extends SearchableEvent {
  id: number
  received_at: number
}

interface State {
  outbox: string
  indexed_through: number
  changes_applied: number
  swept_through: number
}

function removeIndexFiles(file: string): void {
  for (const path of [file, `${file}-wal`, `${file}-shm`]) rmSync(path, { force: true })
}

/** Opens the index file, created (or created again) with this version's schema when it is not that. */
function openIndexFile(file: string): Database.Database {
  let db: Database.Database | null = null
  try {
    db = new Database(file)
    db.pragma('journal_mode = WAL')
    if (db.pragma('user_version', { simple: true }) === SCHEMA_VERSION) return configured(db, file)
    db.close()
  } catch (error) {
    db?.close()
    if (!isDamage(error)) throw error
  }
  removeIndexFiles(file)
  db = new Database(file)
  // Owner-only before its -wal and -shm exist: SQLite gives them the database's mode.
  restrictToOwner(file)
  db.pragma('journal_mode = WAL')
  const created = db
  created.transaction(() => {
    created.exec(SCHEMA)
    created.pragma(`user_version = ${SCHEMA_VERSION}`)
  })()
  return configured(created, file)
}

function configured(db: Database.Database, file: string): Database.Database {
  // Losing the last commits of an index costs a few events read again, never the outbox's data.
  db.pragma('synchronous = NORMAL')
  db.pragma('busy_timeout = 5000')
  restrictToOwner(file, `${file}-wal`, `${file}-shm`)
  return db
}

/** The outbox's reads: one snapshot per step, on a read-only connection. */
function outboxReads(outbox: Database.Database) {
  const identity = outbox.prepare(`SELECT id FROM outbox_identity`).pluck()
  const newest = outbox.prepare(`SELECT coalesce(max(id), 0) FROM outbox`).pluck()
  const lastChange = outbox.prepare(`SELECT coalesce(max(seq), 0) FROM search_changes`).pluck()
  const firstChange = outbox.prepare(`SELECT min(seq) FROM search_changes`).pluck()
  const changes = outbox.prepare(
    `SELECT seq, event_id AS eventId FROM search_changes WHERE seq > ? ORDER BY seq LIMIT ${STEP_CHANGES}`
  )
  const rowsById = outbox.prepare(`
    SELECT id, name, user_key, message_id, payload, received_at FROM outbox
    WHERE id IN (SELECT value FROM json_each(?))`)
  const rowsAfter = outbox.prepare(`
    SELECT id, name, user_key, message_id, payload, received_at FROM outbox
    WHERE id > ? ORDER BY id LIMIT ${STEP_ROWS}`)
  // The narrow index keyed by id (migration 8): ids alone, never the rows.
  const idsBetween = outbox
    .prepare(`SELECT id FROM outbox INDEXED BY outbox_search_scan WHERE id >= ? AND id <= ?`)
    .pluck()
  const total = outbox.prepare(`SELECT coalesce(sum(n), 0) FROM status_counts`).pluck()
  const countAfter = outbox.prepare(`SELECT count(*) FROM outbox WHERE id > ?`).pluck()
  return {
    identity: () => identity.get() as string,
    newest: () => newest.get() as number,
    lastChange: () => lastChange.get() as number,
    firstChange: () => firstChange.get() as number | null,
    changes: (after: number) => changes.all(after) as { seq: number; eventId: number }[],
    rowsById: (ids: number[]) => rowsById.all(JSON.stringify(ids)) as OutboxRow[],
    rowsAfter: (id: number) => rowsAfter.all(id) as OutboxRow[],
    idsBetween: (lo: number, hi: number) => idsBetween.all(lo, hi) as number[],
    /** Events at or below `id`: the ledger's total less the few above it. */
    eventsThrough: (id: number) => (total.get() as number) - (countAfter.get(id) as number)
  }
}

/** The index's statements, on its own read-write connection; a part's are prepared when first used. */
function indexStatements(index: Database.Database) {
  const state = index.prepare(`SELECT * FROM index_state`)
  const saveState = index.prepare(`
    INSERT OR REPLACE INTO index_state (only, outbox, indexed_through, changes_applied, swept_through)
    VALUES (1, @outbox, @indexed_through, @changes_applied, @swept_through)`)
  const partList = index.prepare(`SELECT part FROM parts ORDER BY part`).pluck()
  const entries = index.prepare(`SELECT coalesce(sum(entries), 0) FROM parts`).pluck()
  const countEntries = index.prepare(`
    INSERT INTO parts (part, entries) VALUES (?, ?)
    ON CONFLICT (part) DO UPDATE SET entries = entries + excluded.entries`)
  const forgetPart = index.prepare(`DELETE FROM parts WHERE part = ?`)
  const setEntries = index.prepare(`UPDATE parts SET entries = ? WHERE part = ?`)
  const widenBlock = index.prepare(`
    INSERT INTO received_blocks (block, first_received, last_received) VALUES (?, ?, ?)
    ON CONFLICT (block) DO UPDATE SET first_received = min(first_received, excluded.first_received),
      last_received = max(last_received, excluded.last_received)`)
  const clearBlocks = index.prepare(`DELETE FROM received_blocks`)
  const clearCommon = index.prepare(`DELETE FROM common_trigrams`)
  const addCommon = index.prepare(`INSERT INTO common_trigrams (trigram) VALUES (?)`)
  const tableExists = index.prepare(`SELECT 1 FROM sqlite_master WHERE name = ?`).pluck()
  const parts = new Map<
    number,
    { insert: Database.Statement; remove: Database.Statement; ids: Database.Statement }
  >()

  /** A part's statements; its table is created for an insert, and null when a read or delete finds none. */
  function part(number: number, create = false) {
    let statements = parts.get(number)
    if (statements) return statements
    const table = partTable(number)
    const last = partBounds(number).hi
    if (!create && tableExists.get(table) === undefined) return null
    index.exec(`CREATE VIRTUAL TABLE IF NOT EXISTS ${table} USING fts5(
      text, tokenize = 'trigram case_sensitive 1', content = '', contentless_delete = 1, detail = none)`)
    statements = {
      insert: index.prepare(`INSERT INTO ${table} (rowid, text) VALUES (${last} - ?, ?)`),
      remove: index.prepare(`DELETE FROM ${table} WHERE rowid = ${last} - ?`),
      ids: index.prepare(`SELECT ${last} - rowid FROM ${table}`).pluck()
    }
    parts.set(number, statements)
    return statements
  }

  function dropPart(number: number): void {
    parts.delete(number)
    index.exec(`DROP TABLE IF EXISTS ${partTable(number)}`)
    forgetPart.run(number)
  }

  return {
    state: () => state.get() as State | undefined,
    saveState: (next: State) => saveState.run(next),
    parts: () => partList.all() as number[],
    entries: () => entries.get() as number,
    insertText(id: number, text: string): void {
      part(id >> PART_BITS, true)!.insert.run(id, text)
      countEntries.run(id >> PART_BITS, 1)
    },
    /** True when the index held an entry for the id. */
    deleteText(id: number): boolean {
      const removed = (part(id >> PART_BITS)?.remove.run(id).changes ?? 0) > 0
      if (removed) countEntries.run(id >> PART_BITS, -1)
      return removed
    },
    idsOfPart: (number: number) => (part(number)?.ids.all() as number[] | undefined) ?? [],
    /** Sets a part's count of entries to what it holds (the sweep has just read them all). */
    countedEntries: (number: number, entries: number) => setEntries.run(entries, number),
    dropPart,
    widenBlock: (block: number, first: number, last: number) => widenBlock.run(block, first, last),
    commonTrigrams(trigrams: Iterable<string>): void {
      clearCommon.run()
      for (const trigram of trigrams) addCommon.run(trigram)
    },
    clear(): void {
      for (const number of partList.all() as number[]) dropPart(number)
      clearBlocks.run()
      clearCommon.run()
    }
  }
}

/** Each block's earliest and latest receipt among `rows`. */
function blocksOf(rows: OutboxRow[]): Map<number, { first: number; last: number }> {
  const blocks = new Map<number, { first: number; last: number }>()
  for (const row of rows) {
    const block = row.id >> BLOCK_BITS
    const seen = blocks.get(block)
    if (!seen) blocks.set(block, { first: row.received_at, last: row.received_at })
    else {
      seen.first = Math.min(seen.first, row.received_at)
      seen.last = Math.max(seen.last, row.received_at)
    }
  }
  return blocks
}

/** The trigrams held by COMMON_SHARE of the texts or more (none spanning two values). */
function commonTrigramsOf(texts: string[]): string[] {
  const holders = new Map<string, number>()
  for (const text of texts)
    for (const trigram of trigramsOf(text))
      if (!trigram.includes(VALUE_SEPARATOR)) holders.set(trigram, (holders.get(trigram) ?? 0) + 1)
  return [...holders].filter(([, count]) => count >= texts.length * COMMON_SHARE).map(([trigram]) => trigram)
}

/** What one step read from the outbox, in one snapshot. */
type Snapshot =
  | { kind: 'restart'; state: State }
  | { kind: 'changes'; changes: { seq: number; eventId: number }[]; rows: OutboxRow[] }
  | { kind: 'added'; rows: OutboxRow[] }
  | { kind: 'sweep'; part: number; kept: Set<number> }
  | { kind: 'idle' }

/**
 * The indexer's side of the index: opens (or rebuilds) it for the outbox `outboxFile` and brings it
 * up to date one step at a time. Runs on the indexer's worker thread; tests call it directly.
 */
export function openSearchIndexWriter(
  outboxFile: string,
  indexFile = searchIndexFileOf(outboxFile)
): SearchIndexWriter {
  const outbox = openReadConnection(outboxFile)
  let index: Database.Database
  try {
    index = openIndexFile(indexFile)
  } catch (error) {
    outbox.close()
    throw error
  }
  const reads = outboxReads(outbox)
  let writes = indexStatements(index)
  let newest = 0

  /** Whether the last step swept: a sweep goes on from the part after; a new one starts at the oldest. */
  let sweeping = false

  /**
   * The part the sweep compares next. Pruning deletes the oldest events, so a new sweep starts at the
   * oldest part and usually ends there; one going on takes the next part, round the index.
   */
  function nextSweptPart(state: State): number | null {
    const parts = writes.parts().filter((part) => partBounds(part).lo <= state.indexed_through)
    const next = sweeping ? parts.find((part) => partBounds(part).lo > state.swept_through) : undefined
    return next ?? parts[0] ?? null
  }

  /**
   * What is left to do, read in one snapshot of the outbox: edits first (few, and a person waits to
   * find what they just changed), then new events, then a part of the sweep. Pruning deletes events
   * without telling the index (it runs on the ingest thread, which should not pay for it): when the
   * index holds more entries than the outbox has events up to where it is indexed, the sweep
   * compares one part's ids with the outbox's. Hits are checked against the outbox anyway; the
   * sweep keeps the file from growing.
   */
  const read = outbox.transaction((state: State | undefined): Snapshot => {
    const identity = reads.identity()
    newest = reads.newest()
    const lastChange = reads.lastChange()
    const firstChange = reads.firstChange()
    // Another outbox, an index ahead of its outbox, or edits the change log no longer holds: start over.
    const lost = state !== undefined && firstChange !== null && firstChange > state.changes_applied + 1
    if (!state || state.outbox !== identity || state.indexed_through > newest || lost) {
      // Every edit up to now is in the text the rebuilt index will read.
      const restarted = {
        outbox: identity,
        indexed_through: 0,
        changes_applied: lastChange,
        swept_through: 0
      }
      return { kind: 'restart', state: restarted }
    }
    const changes = reads.changes(state.changes_applied)
    if (changes.length > 0)
      return { kind: 'changes', changes, rows: reads.rowsById(changes.map((change) => change.eventId)) }
    const added = reads.rowsAfter(state.indexed_through)
    if (added.length > 0) return { kind: 'added', rows: added }
    if (writes.entries() <= reads.eventsThrough(state.indexed_through)) return { kind: 'idle' }
    const part = nextSweptPart(state)
    if (part === null) return { kind: 'idle' }
    const { lo, hi } = partBounds(part)
    return { kind: 'sweep', part, kept: new Set(reads.idsBetween(lo, hi)) }
  })

  const write = (state: State, snapshot: Exclude<Snapshot, { kind: 'idle' }>): void => {
    const next = { ...state }
    switch (snapshot.kind) {
      case 'restart':
        writes.clear()
        writes.saveState(snapshot.state)
        return
      case 'changes': {
        const texts = new Map(snapshot.rows.map((row) => [row.id, searchableText(row)]))
        for (const { seq, eventId } of snapshot.changes) {
          next.changes_applied = seq
          // An event not indexed yet is read with its new text when the index reaches it.
          if (eventId > state.indexed_through) continue
          writes.deleteText(eventId)
          const text = texts.get(eventId)
          if (text !== undefined) writes.insertText(eventId, text)
        }
        break
      }
      case 'added': {
        const texts = snapshot.rows.map(searchableText)
        snapshot.rows.forEach((row, place) => writes.insertText(row.id, texts[place]!))
        if (texts.length >= SAMPLE_ROWS)
          writes.commonTrigrams(commonTrigramsOf(texts.filter((_, place) => place % SAMPLE_EVERY === 0)))
        for (const [block, { first, last }] of blocksOf(snapshot.rows)) writes.widenBlock(block, first, last)
        next.indexed_through = snapshot.rows[snapshot.rows.length - 1]?.id ?? state.indexed_through
        break
      }
      case 'sweep': {
        const ids = writes.idsOfPart(snapshot.part)
        const gone = ids.filter((id) => !snapshot.kept.has(id))
        if (gone.length === ids.length) writes.dropPart(snapshot.part)
        else {
          for (const id of gone) writes.deleteText(id)
          // Counted afresh, so a sweep ends after one round whatever a count said before it.
          writes.countedEntries(snapshot.part, ids.length - gone.length)
        }
        next.swept_through = partBounds(snapshot.part).hi
        break
      }
    }
    writes.saveState(next)
  }

  /** A damaged index is removed and built again from the outbox, which is never touched. */
  function rebuildAfterDamage(): void {
    index.close()
    removeIndexFiles(indexFile)
    index = openIndexFile(indexFile)
    writes = indexStatements(index)
  }

  /** Whether the index file (not the outbox) is what is damaged. */
  function isIndexDamage(): boolean {
    try {
      return index.pragma('quick_check(1)', { simple: true }) !== 'ok'
    } catch {
      return true
    }
  }

  function step(): StepOutcome {
    try {
      const state = writes.state()
      const snapshot = read(state)
      sweeping = snapshot.kind === 'sweep'
      if (snapshot.kind === 'idle') return 'idle'
      const current = snapshot.kind === 'restart' ? snapshot.state : (state as State)
      index.transaction(() => write(current, snapshot))()
      return snapshot.kind === 'sweep' ? 'swept' : 'indexed'
    } catch (error) {
      // Only the index's own damage is mended here; the outbox's is the collector's to report.
      if (!isDamage(error) || !isIndexDamage()) throw error
      rebuildAfterDamage()
      return 'indexed'
    }
  }

  return {
    step,
    progress: (): IndexProgress => ({ indexedThrough: writes.state()?.indexed_through ?? 0, newest }),
    close() {
      index.close()
      outbox.close()
    }
  }
}

/** A block of ids whose events were received between these times. */
export interface ReceivedBlock {
  block: number
  firstReceived: number
  lastReceived: number
}

/** The index as a reader sees it, attached to its read-only connection of the outbox as `search`. */
export interface AttachedSearchIndex {
  /**
   * Attaches the file when it has appeared, again when the indexer replaced it (a damaged one).
   * Outside any transaction: SQLite refuses to attach or detach within one.
   */
  refresh(): void
  /**
   * Stops reading a file that turned out damaged (SQLITE_CORRUPT in a search): searches read the
   * events themselves until the indexer replaces it. False when no index was attached.
   */
  setAside(): boolean
  /** How far the index is: null when there is none to read (not built yet, of another version). */
  state(): IndexedUpTo | null
  /** The parts of the text index, newest first. */
  parts(): number[]
  /** The trigrams most events hold (common_trigrams). */
  commonTrigrams(): Set<string>
  /** Newest first, the blocks of ids whose receipt times overlap [from, to]. */
  blocksOverlapping(from: number, to: number): ReceivedBlock[]
}

/**
 * The index for a reader: attached to its read-only connection, and so read-only too (a reader never
 * creates or writes it), and read in the reader's transactions, so its state and the outbox are read
 * as of one moment.
 */
export function attachSearchIndex(db: Database.Database, file: string): AttachedSearchIndex {
  let attached: number | null = null
  /** The inode of a file set aside as damaged: not attached again until the file is another. */
  let damaged: number | null = null
  let statements: {
    state: Database.Statement
    parts: Database.Statement
    common: Database.Statement
    blocks: Database.Statement
  } | null = null

  function refresh(): void {
    let inode: number | null
    try {
      inode = statSync(file).ino
    } catch {
      inode = null
    }
    if (inode === attached) return
    if (attached !== null) db.exec('DETACH DATABASE search')
    attached = null
    statements = null
    if (inode === null || inode === damaged) return
    try {
      db.prepare('ATTACH DATABASE ? AS search').run(file)
      attached = inode
    } catch {
      // A WAL file opens read-only only while its -shm exists, i.e. while the indexer has it open:
      // until then the events are read directly, and the next read tries again.
    }
  }

  /** Prepared once the file has this version's schema (a new file is empty until the indexer writes it). */
  function prepared() {
    if (attached === null) return null
    if (statements) return statements
    if (db.pragma('search.user_version', { simple: true }) !== SCHEMA_VERSION) return null
    statements = {
      state: db.prepare(
        `SELECT indexed_through AS indexedThrough, changes_applied AS changesApplied FROM search.index_state`
      ),
      parts: db.prepare(`SELECT part FROM search.parts ORDER BY part DESC`).pluck(),
      common: db.prepare(`SELECT trigram FROM search.common_trigrams`).pluck(),
      blocks: db.prepare(`
        SELECT block, first_received AS firstReceived, last_received AS lastReceived FROM search.received_blocks
        WHERE last_received >= ? AND first_received <= ? ORDER BY block DESC`)
    }
    return statements
  }

  function setAside(): boolean {
    if (attached === null) return false
    damaged = attached
    db.exec('DETACH DATABASE search')
    attached = null
    statements = null
    return true
  }

  return {
    refresh,
    setAside,
    state: () => (prepared()?.state.get() as IndexedUpTo | undefined) ?? null,
    parts: () => (prepared()?.parts.all() as number[] | undefined) ?? [],
    commonTrigrams: () => new Set((prepared()?.common.all() as string[] | undefined) ?? []),
    blocksOverlapping: (from, to) => (prepared()?.blocks.all(from, to) as ReceivedBlock[] | undefined) ?? []
  }
}
