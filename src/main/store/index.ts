import type Database from 'better-sqlite3'
import { openDatabase } from './database'
import { createOutbox, type Outbox } from './outbox'
import { createQueries, type Queries } from './queries'
import { createDestinationStates, type DestinationStates } from './destinations'
import { createDeviceIds, type DeviceIds } from './devices'
import { createCorrections, type Corrections } from './corrections'
import { createRetention, type Retention } from './retention'
import { createActivityLog, type ActivityLog } from './activity'
import { createBulkActions, type BulkActions } from './bulk-actions'

export type {
  NewEvent,
  CopiesOf,
  EnqueueResult,
  ClaimedEvent,
  BatchClaim,
  BatchClaims,
  ClaimOptions,
  AttemptRecord,
  ExchangeRecord,
  RebuildableBody,
  HeaderPairs,
  Settlement,
  Backlog
} from './outbox'
export type { DestinationState } from './destinations'
export { CorrectionError, type Actor, type ActedEvent, type BulkResult } from './corrections'
export type { Retention } from './retention'
export type { ActivityLog, ActivityMinute } from './activity'
export { openReader, type Reader } from './reader'

export interface Store {
  db: Database.Database
  outbox: Outbox
  queries: Queries
  destinations: DestinationStates
  devices: DeviceIds
  corrections: Corrections
  /** Resend and discard of everything a filter matches, in chunks, and the undo of a discard. */
  bulk: BulkActions
  retention: Retention
  activity: ActivityLog
  close(): void
}

export function openStore(file: string): Store {
  const db = openDatabase(file)
  const outbox = createOutbox(db)
  outbox.releaseStaleLeases()
  // The queries register event_matches on this connection, which a bulk action's search reads.
  const queries = createQueries(db)
  const corrections = createCorrections(db)
  return {
    db,
    outbox,
    queries,
    destinations: createDestinationStates(db),
    devices: createDeviceIds(db),
    corrections,
    bulk: createBulkActions(db, corrections),
    retention: createRetention(db),
    activity: createActivityLog(db),
    close: () => db.close()
  }
}
