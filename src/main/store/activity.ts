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
  // Minutes summed by bucket (`@minutes` long, counted from the epoch; % is integer arithmetic
  // whatever type the number is bound as, / is not), each with its latest
  // minute and that minute's backlog: SQLite takes a bare column from the row max() picked.
  // The day's chart reads 96 rows a destination instead of 1,440.
  buckets: `
    SELECT destination, max(minute) AS minute, backlog,
           sum(received) AS received, sum(delivered) AS delivered, sum(failed) AS failed
    FROM activity WHERE minute >= @from GROUP BY minute - minute % @minutes, destination`
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
  /**
   * Every destination's activity from minute `from` on, summed by buckets of `minutes` minutes:
   * a row per destination and bucket, as the bucket's latest minute with its backlog.
   */
  activityBuckets(from: number, minutes: number): ActivityMinute[]
}

export function createActivityReads(db: Database.Database): ActivityReads {
  const buckets = db.prepare(ACTIVITY_SQL.buckets)
  return { activityBuckets: (from, minutes) => buckets.all({ from, minutes }) as ActivityMinute[] }
}
