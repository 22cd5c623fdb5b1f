import type { Migration } from './index'

/**
 * The list's name filter (exact), read newest first through an index of its own: the events of
 * one name are one range of it in id order, with the destination (which never changes) to check a
 * destination filter in the index. outbox_name also gives the name filter its suggestions: the
 * distinct names, one seek each (queries.ts: eventNames). Names are few, so a stored event's entry
 * lands at the end of its name's range: ingest touches a few hot pages. The user filter has no
 * such index: one on user keys put each event's entry at a random place of a large B-tree, which
 * doubled ingest's cost per event (event-list.ts searches for a user key instead).
 */
export const nameIndex: Migration = {
  version: 13,
  name: 'name-index',
  sql: `
    CREATE INDEX outbox_name ON outbox (name, id, destination);
  `
}
