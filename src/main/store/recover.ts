import Database from 'better-sqlite3'
import { existsSync, renameSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { openDatabase } from './database'
import { LANE_FUNCTION } from './lanes'
import { findDamage, isDamage, readIntoOsCache } from './storage-errors'

/**
 * `outpost recover`: what SQLite can still read of a damaged outbox, in a new outbox.
 *
 * - The damaged file is moved aside with its -wal and -shm (the WAL holds committed events too,
 *   and SQLite finds it by the database's name), and then only read: it stays as it was, to
 *   inspect or to hand to a better tool.
 * - Each table is copied in key order into a freshly migrated outbox, every row as it was (ids,
 *   statuses, attempts, history), so delivered events stay delivered and waiting ones are
 *   delivered with their message ids. status_counts is not copied: the outbox's triggers rebuild
 *   it from the rows that arrive.
 * - A damaged page fails every read that reaches it. After one, the copy seeks past it: the
 *   smallest key whose seek no longer reaches the damage is found by doubling, then bisecting,
 *   so only the damaged page's rows are lost. A table keyed by text (device_ids: a few rows) is
 *   read up to its first damaged page.
 * - A row the new outbox refuses (a link to an event that was lost, a value the damage garbled
 *   into something the schema forbids) is counted and left out.
 */

export interface TableSalvage {
  table: string
  copied: number
  /** Rows read but refused by the new outbox's constraints. */
  refused: number
  /** Damaged stretches of the table that were skipped. */
  unreadableRanges: number
  /** Why nothing of the table could be read, when nothing could. */
  unreadable?: string
}

export type RecoveryReport =
  | { damaged: false; file: string }
  | {
      damaged: true
      file: string
      damage: string
      /** The damaged database and its -wal and -shm files, under their new names. */
      movedAside: string[]
      /** Events the damaged outbox counted (its status_counts), when that could be read. */
      eventsBefore: number | null
      tables: TableSalvage[]
    }

interface TableCopy {
  table: string
  /** An integer key the table is ordered by (its rowid, or its first primary-key column); null for text keys. */
  seekKey: string | null
  order: string
}

/** In an order that copies what a row references before the row (attempt_events -> outbox, attempts -> request_bodies). */
const TABLES: TableCopy[] = [
  { table: 'outbox', seekKey: 'rowid', order: 'rowid' },
  { table: 'request_bodies', seekKey: 'rowid', order: 'rowid' },
  { table: 'attempts', seekKey: 'rowid', order: 'rowid' },
  { table: 'attempt_events', seekKey: 'event_id', order: 'event_id, attempt_id' },
  { table: 'user_actions', seekKey: 'rowid', order: 'rowid' },
  { table: 'destination_state', seekKey: 'rowid', order: 'rowid' },
  { table: 'device_ids', seekKey: null, order: 'destination, provisional_id' },
  { table: 'activity', seekKey: 'minute', order: 'minute, destination' }
]

/** Rows per write transaction: the new outbox's WAL stays small however big the salvage. */
const ROWS_PER_TRANSACTION = 1_000
/** Outpost's ids are SQLite's own: from 1 up, never negative. */
const LOWEST_KEY = 0

type Row = unknown[]

/** Checks the outbox whole; when damaged, moves it aside and salvages it into a new one. */
export function recoverOutbox(file: string, now: Date = new Date()): RecoveryReport {
  if (!existsSync(file)) throw new Error(`There is no outbox at ${file}: nothing to recover`)
  const damage = damageOf(file)
  if (damage === null) return { damaged: false, file }

  const movedAside = moveAside(file, now)
  const damaged = new Database(movedAside[0] as string, { readonly: true, fileMustExist: true })
  try {
    const fresh = openDatabase(file)
    try {
      const tables = TABLES.map((copy) => salvageTable(damaged, fresh, copy))
      fillLanesOfOlderOutbox(damaged, fresh)
      return { damaged: true, file, damage, movedAside, eventsBefore: eventsCounted(damaged), tables }
    } finally {
      fresh.close()
    }
  } finally {
    damaged.close()
  }
}

function damageOf(file: string): string | null {
  let db: Database.Database | null = null
  try {
    readIntoOsCache(file, 'whole')
    db = new Database(file, { readonly: true, fileMustExist: true })
    return findDamage(db, file, 'whole')
  } catch (error) {
    if (isDamage(error)) return (error as Error).message
    throw error
  } finally {
    db?.close()
  }
}

/** outbox.sqlite -> outbox.damaged-20250131T120000Z.sqlite, and its -wal and -shm likewise. */
function moveAside(file: string, now: Date): string[] {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')
  const target = join(dirname(file), basename(file).replace(/\.sqlite$/, '') + `.damaged-${stamp}.sqlite`)
  if (existsSync(target)) throw new Error(`${target} exists already: try again in a second`)
  const moved: string[] = []
  for (const suffix of ['', '-wal', '-shm']) {
    if (!existsSync(file + suffix)) continue
    renameSync(file + suffix, target + suffix)
    moved.push(target + suffix)
  }
  return moved
}

function eventsCounted(damaged: Database.Database): number | null {
  try {
    return damaged.prepare('SELECT coalesce(sum(n), 0) FROM status_counts').pluck().get() as number
  } catch {
    return null
  }
}

/**
 * An outbox from before delivery lanes (migration 11) gives its events no lane: they get their
 * users' lanes, as the migration gives them, or every event waiting would be in one lane.
 */
function fillLanesOfOlderOutbox(damaged: Database.Database, fresh: Database.Database): void {
  let columns: { name: string }[]
  try {
    columns = damaged.pragma('table_info(outbox)') as { name: string }[]
  } catch (error) {
    if (!isDamage(error)) throw error
    return
  }
  if (columns.some((column) => column.name === 'lane')) return
  fresh
    .prepare(
      `UPDATE outbox SET lane = ${LANE_FUNCTION}(user_key) WHERE status <> 'sent' AND user_key IS NOT NULL`
    )
    .run()
}

/** The columns both outboxes have (a damaged outbox may be of an older schema). */
function sharedColumns(damaged: Database.Database, fresh: Database.Database, table: string): string[] {
  const columnsOf = (db: Database.Database) =>
    (db.pragma(`table_info(${table})`) as { name: string }[]).map((column) => column.name)
  const known = new Set(columnsOf(fresh))
  return columnsOf(damaged).filter((column) => known.has(column))
}

function salvageTable(damaged: Database.Database, fresh: Database.Database, copy: TableCopy): TableSalvage {
  const salvage: TableSalvage = { table: copy.table, copied: 0, refused: 0, unreadableRanges: 0 }
  let columns: string[]
  try {
    columns = sharedColumns(damaged, fresh, copy.table)
  } catch (error) {
    if (!isDamage(error)) throw error
    return { ...salvage, unreadable: (error as Error).message }
  }
  if (columns.length === 0) return salvage

  const list = columns.join(', ')
  const insert = fresh.prepare(
    `INSERT INTO ${copy.table} (${list}) VALUES (${columns.map(() => '?').join(', ')})`
  )
  const writeRows = fresh.transaction((rows: Row[]) => {
    for (const row of rows) {
      try {
        insert.run(row)
        salvage.copied++
      } catch (error) {
        if (!(error as { code?: string }).code?.startsWith('SQLITE_CONSTRAINT')) throw error
        salvage.refused++
      }
    }
  })
  const rows = copy.seekKey
    ? rowsSkippingDamage(damaged, copy.table, copy.seekKey, copy.order, list, salvage)
    : rowsUpToDamage(damaged, copy.table, copy.order, list, salvage)

  let chunk: Row[] = []
  for (const row of rows) {
    chunk.push(row)
    if (chunk.length === ROWS_PER_TRANSACTION) {
      writeRows(chunk)
      chunk = []
    }
  }
  writeRows(chunk)
  return salvage
}

/** Every readable row in key order; each damaged stretch is skipped and counted. */
function* rowsSkippingDamage(
  damaged: Database.Database,
  table: string,
  seekKey: string,
  order: string,
  list: string,
  salvage: TableSalvage
): Generator<Row> {
  // NOT INDEXED: both walk the table's own B-tree, where the damage is. A covering index on the
  // key (the list's outbox_search_scan starts with the id) would answer the seek from its own,
  // sound pages, and the damage would never be skipped.
  const rowsFrom = damaged
    .prepare(`SELECT ${seekKey}, ${list} FROM ${table} NOT INDEXED WHERE ${seekKey} >= ? ORDER BY ${order}`)
    .raw()
  const seekFrom = damaged.prepare(
    `SELECT ${seekKey} FROM ${table} NOT INDEXED WHERE ${seekKey} >= ? ORDER BY ${seekKey} LIMIT 1`
  )
  const seeksPastDamage = (key: number) => {
    try {
      seekFrom.get(key)
      return true
    } catch (error) {
      if (!isDamage(error)) throw error
      return false
    }
  }

  let from: number | null = LOWEST_KEY
  while (from !== null) {
    try {
      for (const [key, ...row] of rowsFrom.iterate(from) as IterableIterator<Row>) {
        from = (key as number) + 1
        yield row
      }
      return
    } catch (error) {
      if (!isDamage(error)) throw error
      salvage.unreadableRanges++
      from = firstKeyPastDamage(from, seeksPastDamage)
    }
  }
}

/**
 * The smallest key after `damagedFrom` from which a seek no longer reaches the damage: doubling
 * the distance until a seek works, then bisecting back. Null when no seek works below the
 * largest safe integer (everything after the damage is lost).
 */
function firstKeyPastDamage(damagedFrom: number, seeksPastDamage: (key: number) => boolean): number | null {
  let bad = damagedFrom
  let step = 1
  while (!seeksPastDamage(damagedFrom + step)) {
    bad = damagedFrom + step
    step *= 2
    if (damagedFrom + step > Number.MAX_SAFE_INTEGER) return null
  }
  let good = damagedFrom + step
  while (good - bad > 1) {
    const middle = bad + Math.floor((good - bad) / 2)
    if (seeksPastDamage(middle)) good = middle
    else bad = middle
  }
  return good
}

/** Rows in key order until the first damaged page, which is counted. */
function* rowsUpToDamage(
  damaged: Database.Database,
  table: string,
  order: string,
  list: string,
  salvage: TableSalvage
): Generator<Row> {
  try {
    yield* damaged
      .prepare(`SELECT ${list} FROM ${table} ORDER BY ${order}`)
      .raw()
      .iterate() as IterableIterator<Row>
  } catch (error) {
    if (!isDamage(error)) throw error
    salvage.unreadableRanges++
  }
}
