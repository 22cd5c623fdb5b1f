import type Database from 'better-sqlite3'
import { closeSync, openSync, readSync, statSync } from 'node:fs'
import { dirname } from 'node:path'

/**
 * Failures of the storage itself, as opposed to a bad request: the outbox file is damaged, or the
 * disk is full. Each must say what happened and what to do, never be a bare 500.
 */

/** SQLite's codes for a file whose pages do not make a valid database (extended codes included). */
const DAMAGE_CODES = /^SQLITE_(CORRUPT|NOTADB)/

export function isDamage(error: unknown): boolean {
  return DAMAGE_CODES.test(String((error as { code?: unknown })?.code))
}

/** SQLite says SQLITE_FULL when a write finds no space (or hits max_page_count); node:fs says ENOSPC. */
export function isDiskFull(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code
  return code === 'SQLITE_FULL' || code === 'ENOSPC'
}

/** quick_check's report, "*** in database main ***\nTree 2 page 148: …", as one line. */
function oneLine(report: string): string {
  return report
    .replace(/\*\*\* in database \w+ \*\*\*/, '')
    .trim()
    .replace(/\s*\n\s*/g, '; ')
}

/** The outbox file is damaged: Outpost refuses to use it and says how to recover. */
export class DamagedDatabaseError extends Error {
  override name = 'DamagedDatabaseError'
  constructor(
    readonly file: string,
    detail: string
  ) {
    super(
      `The outbox database ${file} is damaged (${detail}); Outpost will not use it until it is recovered. ` +
        `To recover: stop Outpost, then run \`outpost recover --data-dir "${dirname(file)}"\`. ` +
        'It moves the damaged file aside (as outbox.damaged-<time>.sqlite, with its -wal and -shm files) and ' +
        'copies every event SQLite can still read, with its status, into a new outbox; then start Outpost again. ' +
        'Without the outpost command, move outbox.sqlite and its -wal and -shm files out of that folder ' +
        'to start with an empty outbox.'
    )
  }
}

/**
 * PRAGMA quick_check reads every page. Measured on 1M events (680 MB): with the file cached 0.6 s
 * (integrity_check, which also matches every index to its table: 2.6 s). Up to this size the start
 * checks the whole file; above it only the schema and the small tables, so that a start stays
 * near a second, and damage elsewhere is met when a request reaches it (ingest answers 503
 * outbox_damaged).
 */
export const FULL_CHECK_MAX_BYTES = 1024 * 1024 * 1024

/**
 * The check's page cache, in KiB (SQLite's negative cache_size): each page is read once, so a
 * larger cache only holds pages that will not be asked for again (the connection's own 16 MB was
 * slower for the check, and stayed filled with them afterwards).
 */
const CHECK_CACHE_SIZE = -2048

/** The size of each read of readIntoOsCache: large enough that the disk streams. */
const SEQUENTIAL_READ_BYTES = 1024 * 1024

/** Tables that grow with the events; the others hold a few rows per destination. */
const GROWING_TABLES = ['outbox', 'attempts', 'attempt_events', 'request_bodies', 'user_actions']

const selectSmallTables = (db: Database.Database) =>
  db
    .prepare(
      `SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT IN (${GROWING_TABLES.map(() => '?').join(', ')})`
    )
    .pluck()
    .all(...GROWING_TABLES) as string[]

/** The first problem `PRAGMA quick_check` finds in the whole database, or in one table and its indexes. */
function firstProblem(db: Database.Database, table?: string): string | null {
  const pragma = table === undefined ? 'quick_check(1)' : `quick_check(${JSON.stringify(table)})`
  const [result] = db.pragma(pragma, { simple: false }) as { quick_check: string }[]
  return result && result.quick_check !== 'ok' ? oneLine(result.quick_check) : null
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size
  } catch {
    return 0
  }
}

/** Whether `scope` checks every page of the file (and its WAL), rather than the small tables only. */
function checksWholeFile(file: string, scope: 'bounded' | 'whole'): boolean {
  return scope === 'whole' || sizeOf(file) + sizeOf(`${file}-wal`) <= FULL_CHECK_MAX_BYTES
}

/**
 * Reads the database and its WAL from start to end in large reads, into one reused buffer, so that
 * their pages are in the OS's cache before quick_check asks for them. The check reads a page at a
 * time, in b-tree order, and each b-tree's pages lie spread through the file (the tables and
 * indexes grew interleaved): from a cold disk, as after a reboot, that took 17-21 s at 1M events
 * (755 MB), where reading the file first costs about 1.5 s and the check then 1-1.5 s. It used to map
 * the file instead (mmap_size, where the kernel reads around each page it faults in: about 2.5 s
 * cold), but every mapped page it touched counted as the process's memory until the map was
 * dropped: 836 MB at start for a collector that then settles at 100 MB. Read this way, the pages
 * are the OS's cache, which it gives back when memory is short, and the process holds one buffer.
 *
 * Only before any connection of this process opens the file: closing a descriptor of a file drops
 * every fcntl lock the process holds on it, SQLite's included.
 */
export function readIntoOsCache(file: string, scope: 'bounded' | 'whole'): void {
  if (!checksWholeFile(file, scope)) return
  const buffer = Buffer.allocUnsafe(SEQUENTIAL_READ_BYTES)
  for (const path of [file, `${file}-wal`]) {
    let descriptor: number
    try {
      descriptor = openSync(path, 'r')
    } catch {
      continue // not there (yet): nothing to read
    }
    try {
      while (readSync(descriptor, buffer, 0, buffer.length, null) > 0);
    } finally {
      closeSync(descriptor)
    }
  }
}

/**
 * What is wrong with the database, or null when nothing is: the structure of every b-tree (each
 * page's header, cells and links; not whether each index matches its table). `bounded` checks
 * the whole file only up to FULL_CHECK_MAX_BYTES, as a start does; `whole` always reads it all.
 * The pages go through a small page cache, never a memory map; call readIntoOsCache first, before
 * the connection opens.
 */
export function findDamage(db: Database.Database, file: string, scope: 'bounded' | 'whole'): string | null {
  const cacheSize = db.pragma('cache_size', { simple: true }) as number
  db.pragma(`cache_size = ${CHECK_CACHE_SIZE}`)
  try {
    if (checksWholeFile(file, scope)) return firstProblem(db)
    return selectSmallTables(db).reduce<string | null>(
      (found, table) => found ?? firstProblem(db, table),
      null
    )
  } catch (error) {
    if (isDamage(error)) return (error as Error).message
    throw error
  } finally {
    db.pragma(`cache_size = ${cacheSize}`)
  }
}

/** Refuses a damaged database at start, instead of failing every request that reaches the damage. */
export function assertNotDamaged(db: Database.Database, file: string): void {
  const problem = findDamage(db, file, 'bounded')
  if (problem) throw new DamagedDatabaseError(file, problem)
}

/** What a client is told when its events could not be stored because of the storage itself. */
export interface StorageFailure {
  error: 'disk_full' | 'outbox_damaged'
  message: string
  retryAfterSeconds: number
}

/**
 * The answer for a write that failed because of the disk or the file, or null for any other
 * failure. Both are 503 with Retry-After: nothing of the request was stored, the client keeps it
 * and sends it again; a full disk clears by itself as pruning frees pages or a person frees space.
 */
export function storageFailure(error: unknown): StorageFailure | null {
  if (isDiskFull(error)) {
    return {
      error: 'disk_full',
      message:
        "The disk is full: nothing of this request was stored. Retry later; events Outpost already accepted are kept. Free space on the disk that holds Outpost's data folder.",
      retryAfterSeconds: 30
    }
  }
  if (isDamage(error)) {
    return {
      error: 'outbox_damaged',
      message:
        "Outpost's outbox database is damaged: nothing of this request was stored. Stop Outpost and run `outpost recover --data-dir <its data folder>`; see Outpost's README, 'When the database is damaged'.",
      retryAfterSeconds: 60
    }
  }
  return null
}
