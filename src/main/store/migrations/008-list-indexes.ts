import type { Migration } from './index'

/**
 * What serves each filter of the UI's event list newest first (queries.ts says which statement
 * reads which), at the least cost to ingest and delivery, which maintain every index:
 * - outbox_status also holds the destination, so a destination, with or without a status, reads
 *   status ranges checking the destination in the index. Delivery rewrote this index's entry at
 *   every status change already; an index of its own on (destination, status) would be rewritten
 *   too (at a million rows, +20% CPU per stored event and per delivered one). Indexes on plain
 *   columns starting with the destination also took the delivery queue's statements away from
 *   their partial indexes: SQLite keeps no statistics here, and preferred them;
 * - outbox_search_scan, for the search box (a part of the event name or user key: a LIKE that no
 *   B-tree can seek): the newest-first scan reads this narrow copy instead of the rows with their
 *   payloads. Ids only grow, so ingest appends to it; none of its columns changes on delivery.
 */
export const listIndexes: Migration = {
  version: 8,
  name: 'list-indexes',
  sql: `
    DROP INDEX outbox_status;
    CREATE INDEX outbox_status ON outbox (status, id, destination);
    CREATE INDEX outbox_search_scan ON outbox (id, name, user_key, destination);
  `
}
