import { chmodSync, mkdirSync, statSync } from 'node:fs'

/**
 * The data folder holds every event's payload: other local users must not read it. The folder is
 * owner-only (0700), which alone keeps them out; its files are owner-only too (0600), so a copy
 * of the folder or a looser parent does not expose them.
 *
 * Files are tightened by path (chmod), never by opening them: POSIX drops every fcntl lock a
 * process holds on a file as soon as any descriptor of it is closed, and SQLite's locks are fcntl
 * locks. A file SQLite creates is tightened right after it opens it; until then the owner-only
 * folder already keeps others out, and SQLite gives a database's -wal, -shm and -journal files the
 * database file's own mode.
 *
 * Windows has no such modes (its ACLs come from the user's profile folder): all of this is a no-op there.
 */

const OWNER_ONLY_DIR = 0o700
const OWNER_ONLY_FILE = 0o600
const GROUP_AND_OTHERS = 0o077
const STICKY = 0o1000

const modesApply = process.platform !== 'win32'

/** Creates the folder (and missing parents) 0700, or tightens it when an older Outpost left it open. */
export function ensureOwnerOnlyDir(dir: string): void {
  if (!modesApply) {
    mkdirSync(dir, { recursive: true })
    return
  }
  mkdirSync(dir, { recursive: true, mode: OWNER_ONLY_DIR })
  const { mode } = statSync(dir)
  // A sticky folder is a shared one (/tmp): making it owner-only would lock everyone else out of it.
  if (mode & STICKY) return
  if (mode & GROUP_AND_OTHERS) chmodSync(dir, OWNER_ONLY_DIR)
}

/** Tightens each existing file to 0600; a missing one is skipped (SQLite creates some only later). */
export function restrictToOwner(...files: string[]): void {
  if (!modesApply) return
  for (const file of files) {
    try {
      if (statSync(file).mode & GROUP_AND_OTHERS) chmodSync(file, OWNER_ONLY_FILE)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    }
  }
}
