import Database from 'better-sqlite3'
import { dirname } from 'node:path'
import { ensureOwnerOnlyDir, restrictToOwner } from '../file-modes'
import { migrate } from './migrations'
import { assertNotDamaged, DamagedDatabaseError, isDamage, readIntoOsCache } from './storage-errors'

/**
 * After a checkpoint SQLite writes the WAL file from its start again but keeps its size, so a burst
 * (a large group commit, a backlog delivered at once) would leave it at its high-water mark for
 * good. Twice the auto-checkpoint size (1000 pages, ~4 MB): ordinary use is never trimmed, a
 * burst is trimmed back on the first commit after its checkpoint.
 */
export const WAL_SIZE_LIMIT_BYTES = 8 * 1024 * 1024

/**
 * A statement that fires a trigger (every insert into the outbox: status_counts) keeps a statement
 * journal, the pages it changed as they were, to undo it alone if it fails. SQLite keeps it in
 * memory up to 64 KiB, then in a temporary file until the transaction ends: once one insert of a
 * group commit split enough b-tree pages, every later insert of the group wrote its pages to that
 * file, which was 30 % of the ingest thread's time at 1,500 events per commit and made a bigger
 * group cost more per event than a smaller one. In memory the journal is dropped after each
 * statement, so it holds only what one statement changed: a few pages for an insert, at most a few
 * MB for the largest statements on this connection (a claim or a pruning chunk of 500 events). Set
 * after the migrations, whose statements (an index built over every row) may need far more.
 */
function keepStatementJournalsInMemory(db: Database.Database): void {
  db.pragma('temp_store = MEMORY')
}

/**
 * The connection's page cache. Concurrent delivery leases a batch deep in a lane (outbox.ts), whose
 * events are spread over the outbox one to a page: 32 batches of 500 in flight touch ~16,000
 * pages, which SQLite's default cache (2 MB, 500 pages) had evicted by the time each answer is
 * settled, so every settlement read its pages again (a drain of 100,000 events: ~1,100 reads of a
 * page per batch of 500, ~400 with this cache, 7-15% less CPU). A bound, not an allocation: pages
 * are cached as they are used.
 */
export const PAGE_CACHE_KIB = 64 * 1024

/**
 * Opens (creating if needed) the outbox database. WAL lets the UI read while the writer commits;
 * synchronous=FULL makes every commit durable before the client is answered. A damaged file is
 * refused (DamagedDatabaseError, naming the file and how to recover) before it is migrated or written.
 * The file and its -wal and -shm are owner-only (file-modes.ts).
 */
export function openDatabase(file: string): Database.Database {
  const onDisk = file !== ':memory:'
  if (onDisk) {
    ensureOwnerOnlyDir(dirname(file))
    readIntoOsCache(file, 'bounded')
  }
  const db = new Database(file)
  try {
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = FULL')
    db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`)
    db.pragma(`cache_size = -${PAGE_CACHE_KIB}`)
    db.pragma('foreign_keys = ON')
    db.pragma('busy_timeout = 5000')
    if (onDisk) assertNotDamaged(db, file)
    migrate(db)
    keepStatementJournalsInMemory(db)
    if (onDisk) restrictToOwner(file, `${file}-wal`, `${file}-shm`)
    return db
  } catch (error) {
    db.close()
    // A header that is not SQLite's fails at the first pragma, before the check runs.
    if (isDamage(error)) throw new DamagedDatabaseError(file, (error as Error).message)
    throw error
  }
}
