import Database from 'better-sqlite3'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { restrictToOwner } from './file-modes'

/**
 * One collector per data folder: two would both deliver the same outbox.
 *
 * The lock is SQLite's own file lock (fcntl on POSIX, LockFileEx on Windows) on a small database
 * of its own, `outpost-lock.sqlite`. In exclusive locking mode the first write takes the exclusive
 * lock and the connection keeps it until it closes. So taking the folder is one atomic step, a
 * second opener (another process, or another collector in this one) is refused at once, and the OS
 * drops the lock when its holder dies, however it dies: nothing stale is left to guess about.
 * The outbox itself is not locked this way, so that a read-only connection to it stays possible.
 *
 * Never open the lock database with node:fs: POSIX drops all of a process's fcntl locks on a file
 * as soon as any descriptor of that file is closed.
 *
 * `outpost.lock` only tells a refused start who holds the folder. It is written after the lock is
 * taken, removed before it is released, and never trusted for the decision: its pid may be dead
 * or reused, and the file may be left by an older Outpost, which kept a bare pid there.
 */
const LOCK_DATABASE = 'outpost-lock.sqlite'
const HOLDER_FILE = 'outpost.lock'

interface Holder {
  pid: number
  host: string
  startedAt: string
}

/** Takes the data folder, or throws naming the folder and, when known, who holds it. */
export function lockDataDir(dataDir: string): () => void {
  const holder: Holder = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() }
  const lockFile = join(dataDir, LOCK_DATABASE)
  const lock = takeExclusiveLock(lockFile, holder)
  if (!lock) {
    throw new Error(
      `Another Outpost${describeHolder(dataDir)} is using ${dataDir}; stop it or choose another --data-dir`
    )
  }
  const holderFile = join(dataDir, HOLDER_FILE)
  try {
    // By path only (file-modes.ts): the lock database's fcntl lock must survive this.
    restrictToOwner(lockFile, `${lockFile}-journal`)
    writeFileSync(holderFile, JSON.stringify(holder), { mode: 0o600 })
    restrictToOwner(holderFile)
  } catch (error) {
    lock.close()
    throw error
  }
  let released = false
  return () => {
    // Once only: after the release, the folder and its holder file may be the next holder's.
    if (released) return
    released = true
    // Removed while still held: once released, the file may be the next holder's.
    rmSync(holderFile, { force: true })
    lock.close()
  }
}

/** The open connection that holds the lock, or null when another connection holds it. */
function takeExclusiveLock(file: string, holder: Holder): Database.Database | null {
  // timeout 0: a held lock answers SQLITE_BUSY at once instead of after better-sqlite3's 5 s.
  const db = new Database(file, { timeout: 0 })
  try {
    db.pragma('locking_mode = EXCLUSIVE')
    // BEGIN EXCLUSIVE takes the lock; the write makes it the exclusive mode's kept lock.
    db.transaction(() => {
      db.exec(
        'CREATE TABLE IF NOT EXISTS holder (id INTEGER PRIMARY KEY CHECK (id = 1), pid INTEGER NOT NULL, host TEXT NOT NULL, started_at TEXT NOT NULL)'
      )
      db.prepare(
        'INSERT OR REPLACE INTO holder (id, pid, host, started_at) VALUES (1, :pid, :host, :startedAt)'
      ).run(holder)
    }).exclusive()
    return db
  } catch (error) {
    db.close()
    if ((error as { code?: unknown }).code === 'SQLITE_BUSY') return null
    throw error
  }
}

/** " (pid 123 on host, since …)" from the holder file, or "" when it is missing or not ours. */
function describeHolder(dataDir: string): string {
  try {
    const holder = JSON.parse(readFileSync(join(dataDir, HOLDER_FILE), 'utf8')) as Partial<Holder> | null
    if (typeof holder?.pid !== 'number') return ''
    return ` (pid ${holder.pid} on ${holder.host}, since ${holder.startedAt})`
  } catch {
    return ''
  }
}
