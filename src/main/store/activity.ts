import type Database from 'better-sqlite3'

/** One destination's minute, as the activity table keeps it (migration 9). */
export interface ActivityMinute {
  /** Minutes since the Unix epoch. */
  minute: number
  destination: string
  received: number
  delivered: number
  failed: number
  /** Events waiting to be sent when the minute was written. */
  backlog: number
}

/** The statements, named so that a test can assert their plans (test/unit/activity-store.test.ts). */
export const ACTIVITY_SQL = {
  // A minute written again (the collector stopped and started within it) adds its counts.
  write: `
    INSERT INTO activity (minute, destination, received, delivered, failed, backlog)
    VALUES (@minute, @destination, @received, @delivered, @failed, @backlog)
    ON CONFLICT (minute, destination) DO UPDATE SET
      received = received + excluded.received,
      delivered = delivered + excluded.delivered,
      failed = failed + excluded.failed,
      backlog = excluded.backlog`,
  prune: `DELETE FROM activity WHERE minute < ?`,
  since: `
    SELECT minute, destination, received, delivered, failed, backlog
    FROM activity WHERE minute >= ? ORDER BY minute`
}

/** The writer's side: a minute's rows once a minute, and the oldest pruned, in one transaction. */
export interface ActivityLog {
  write(minutes: ActivityMinute[], pruneBefore: number): void
}

export function createActivityLog(db: Database.Database): ActivityLog {
  const insert = db.prepare(ACTIVITY_SQL.write)
  const prune = db.prepare(ACTIVITY_SQL.prune)
  return {
    write: db.transaction((minutes: ActivityMinute[], pruneBefore: number) => {
      for (const row of minutes) insert.run(row)
      prune.run(pruneBefore)
    })
  }
}

/** The reader's side (it runs in the reader's worker, store/reader.ts). */
export interface ActivityReads {
  /** Every destination's minutes from `minute` on, oldest first. */
  activitySince(minute: number): ActivityMinute[]
}

export function createActivityReads(db: Database.Database): ActivityReads {
  const since = db.prepare(ACTIVITY_SQL.since)
  return { activitySince: (minute) => since.all(minute) as ActivityMinute[] }
}
