import type { Migration } from './index'

/**
 * The list's name and user filters (exact), each read newest first through an index of its own:
 * the events of one name, or of one user, are one range of it in id order, with the destination
 * (which never changes) to check a destination filter in the index. Ingest maintains both
 * (two more B-tree entries per stored event); delivery never changes either column, so a status
 * change does not touch them. outbox_name also gives the name filter its suggestions: the distinct
 * names, one seek each (queries.ts: eventNames).
 */
export const nameUserIndexes: Migration = {
  version: 13,
  name: 'name-user-indexes',
  sql: `
    CREATE INDEX outbox_name ON outbox (name, id, destination);
    CREATE INDEX outbox_user ON outbox (user_key, id, destination);
  `
}
