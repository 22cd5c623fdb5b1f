import type { Migration } from './index'

/**
 * Indexes that serve each filter of the UI's event list newest first (queries.ts says which
 * statement reads which):
 * - a destination, with or without a status: outbox_destination_status, one range per status.
 *   It is keyed by an expression that only the list writes. An index on plain columns starting
 *   with the destination would also fit the delivery queue's statements, and SQLite, which keeps
 *   no statistics here, preferred it to their partial indexes: on (destination, id) the queue head
 *   walked every delivered row of its destination (10,000 claims at a million rows went from
 *   0.5 s to 30 s); on (destination, status, id) the in-flight registration check read every
 *   leased row. A status holds no space, so the key names one destination and status;
 * - the search box (a part of the event name or user key): a LIKE that no B-tree can seek, so
 *   the newest-first scan reads outbox_search_scan, a narrow copy of every column the list
 *   filters on, instead of the rows with their payloads. Ids only grow, so ingest appends to it.
 */
export const listIndexes: Migration = {
  version: 8,
  name: 'list-indexes',
  sql: `
    CREATE INDEX outbox_destination_status ON outbox (destination || ' ' || status, id);
    CREATE INDEX outbox_search_scan ON outbox (id, name, user_key, destination, status);
  `
}
