import type Database from 'better-sqlite3'
import { openDatabase } from './database'
import { createOutbox, type Outbox } from './outbox'
import { createQueries, type Queries } from './queries'
import { createDestinationStates, type DestinationStates } from './destinations'
import { createDeviceIds, type DeviceIds } from './devices'
import { createCorrections, type Corrections } from './corrections'
import { createRetention, type Retention } from './retention'
import { createActivityLog, type ActivityLog } from './activity'

export type {
  NewEvent,
  EnqueueResult,
  ClaimedEvent,
  BatchClaim,
  BatchClaims,
  ClaimOptions,
  AttemptRecord,
  Settlement,
  Backlog
} from './outbox'
export type { DestinationState } from './destinations'
export { CorrectionError, type Actor, type BulkResult } from './corrections'
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
  retention: Retention
  activity: ActivityLog
  close(): void
}

export function openStore(file: string): Store {
  const db = openDatabase(file)
  const outbox = createOutbox(db)
  outbox.releaseStaleLeases()
  return {
    db,
    outbox,
    queries: createQueries(db),
    destinations: createDestinationStates(db),
    devices: createDeviceIds(db),
    corrections: createCorrections(db),
    retention: createRetention(db),
    activity: createActivityLog(db),
    close: () => db.close()
  }
}
