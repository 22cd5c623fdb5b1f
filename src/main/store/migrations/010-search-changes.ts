import type { Migration } from './index'

/**
 * What the payload search index needs from the outbox (search-index.ts; the index is a file of its
 * own, filled by a worker thread, so nothing here runs at ingest):
 * - outbox_identity names this outbox: an index built from another one (a recovered outbox, or one
 *   moved aside and started afresh, numbers its events anew) is rebuilt instead of trusted;
 * - search_changes lists events whose searchable text changed after ingest (an edit, a Weespin
 *   device id rewritten), in the transaction of the change, so the index re-reads them; inserts
 *   and delivery never write these columns, so the trigger costs nothing there. It keeps the newest
 *   100,000 changes: an index further behind than that starts over.
 */
export const searchChanges: Migration = {
  version: 10,
  name: 'search-changes',
  sql: `
    CREATE TABLE outbox_identity (id TEXT NOT NULL);
    INSERT INTO outbox_identity (id) VALUES (lower(hex(randomblob(16))));

    CREATE TABLE search_changes (seq INTEGER PRIMARY KEY, event_id INTEGER NOT NULL);
    CREATE TRIGGER search_changes_on_edit AFTER UPDATE OF payload, name, user_key ON outbox BEGIN
      INSERT INTO search_changes (event_id) VALUES (NEW.id);
      DELETE FROM search_changes WHERE seq <= (SELECT max(seq) FROM search_changes) - 100000;
    END;
  `
}
