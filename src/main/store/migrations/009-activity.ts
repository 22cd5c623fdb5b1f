import type { Migration } from './index'

/**
 * Each destination's activity, a row a minute while the collector runs: events stored, delivered
 * and failed in that minute (counted in memory and written once a minute, never by a trigger or
 * an index on the outbox) and the backlog when it was written. A minute without rows is a minute
 * the collector was not running. Keyed by the minute first: the charts read a range of minutes and
 * the pruning deletes the oldest, both seeks. A week of it is ~10,000 rows a destination.
 */
export const activity: Migration = {
  version: 9,
  name: 'activity',
  sql: `
    CREATE TABLE activity (
      minute      INTEGER NOT NULL, -- minutes since the Unix epoch
      destination TEXT    NOT NULL,
      received    INTEGER NOT NULL,
      delivered   INTEGER NOT NULL,
      failed      INTEGER NOT NULL,
      backlog     INTEGER NOT NULL,
      PRIMARY KEY (minute, destination)
    ) WITHOUT ROWID;
  `
}
