import type Database from 'better-sqlite3'
import { outbox } from './001-outbox'
import { upstreamParams } from './002-upstream-params'
import { devices } from './003-devices'
import { discardedAt } from './004-discarded-at'
import { statusCounts } from './005-status-counts'
import { integrity } from './006-integrity'
import { inFlight } from './007-in-flight'
import { listIndexes } from './008-list-indexes'
import { activity } from './009-activity'
import { searchChanges } from './010-search-changes'
import { lanes } from './011-lanes'
import { attemptExchange } from './012-attempt-exchange'
import { nameIndex } from './013-name-index'
import { rebuiltBodies } from './014-rebuilt-bodies'
import { LANE_FUNCTION, laneOf } from '../lanes'

export interface Migration {
  version: number
  name: string
  sql: string
}

/** Every migration, in order. Append only: a shipped migration is never edited. */
export const migrations: Migration[] = [
  outbox,
  upstreamParams,
  devices,
  discardedAt,
  statusCounts,
  integrity,
  inFlight,
  listIndexes,
  activity,
  searchChanges,
  lanes,
  attemptExchange,
  nameIndex,
  rebuiltBodies
]

export class NewerDatabaseError extends Error {
  constructor(found: number, known: number) {
    super(
      `This data folder was written by a newer Outpost (schema ${found}; this version knows up to ${known}). ` +
        'Upgrade Outpost instead of opening it with this version: the data is left untouched.'
    )
    this.name = 'NewerDatabaseError'
  }
}

export function assertStrictlyIncreasing(list: Migration[]): void {
  list.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(`Migration ${migration.name} has version ${migration.version}, expected ${index + 1}`)
    }
  })
}

/**
 * Brings the database to the newest schema, each step in its own transaction with user_version.
 * Migrations are SQL; the one thing SQL cannot compute here, an event's lane, is a function
 * registered on the connection first (deterministic: the same user key, the same lane).
 */
export function migrate(db: Database.Database, list: Migration[] = migrations): number {
  assertStrictlyIncreasing(list)
  db.function(LANE_FUNCTION, { deterministic: true }, (userKey: unknown) => laneOf(userKey as string | null))
  const current = db.pragma('user_version', { simple: true }) as number
  const latest = list.length
  if (current > latest) throw new NewerDatabaseError(current, latest)
  for (const migration of list.slice(current)) {
    db.transaction(() => {
      db.exec(migration.sql)
      db.pragma(`user_version = ${migration.version}`)
    })()
  }
  return latest
}
