import type { Migration } from './index'

/**
 * What the outbox's own rules need from the schema:
 * - status_counts also sums bytes, so the backlog (events and bytes not yet delivered) is read
 *   from the same transactional ledger as the counts instead of a counter kept in memory;
 * - the delivery queue's index holds leased rows too: a lease that expired is waiting again, and
 *   an event behind a leased one must not overtake it;
 * - an auth hold remembers which key was refused (a fingerprint, never the key) and when it
 *   probes the vendor again by itself.
 */
export const integrity: Migration = {
  version: 6,
  name: 'integrity',
  sql: `
    ALTER TABLE status_counts ADD COLUMN bytes INTEGER NOT NULL DEFAULT 0;
    DELETE FROM status_counts;
    INSERT INTO status_counts (destination, status, n, bytes)
      SELECT destination, status, count(*), coalesce(sum(bytes), 0) FROM outbox GROUP BY destination, status;

    DROP TRIGGER status_counts_insert;
    DROP TRIGGER status_counts_delete;
    DROP TRIGGER status_counts_update;
    CREATE TRIGGER status_counts_insert AFTER INSERT ON outbox BEGIN
      INSERT INTO status_counts (destination, status, n, bytes) VALUES (NEW.destination, NEW.status, 1, NEW.bytes)
        ON CONFLICT (destination, status) DO UPDATE SET n = n + 1, bytes = bytes + excluded.bytes;
    END;
    CREATE TRIGGER status_counts_delete AFTER DELETE ON outbox BEGIN
      UPDATE status_counts SET n = n - 1, bytes = bytes - OLD.bytes
        WHERE destination = OLD.destination AND status = OLD.status;
    END;
    CREATE TRIGGER status_counts_update AFTER UPDATE OF status, bytes ON outbox
      WHEN OLD.status <> NEW.status OR OLD.bytes <> NEW.bytes BEGIN
      UPDATE status_counts SET n = n - 1, bytes = bytes - OLD.bytes
        WHERE destination = OLD.destination AND status = OLD.status;
      INSERT INTO status_counts (destination, status, n, bytes) VALUES (NEW.destination, NEW.status, 1, NEW.bytes)
        ON CONFLICT (destination, status) DO UPDATE SET n = n + 1, bytes = bytes + excluded.bytes;
    END;

    DROP INDEX outbox_pending;
    CREATE INDEX outbox_pending ON outbox (destination, id) WHERE status IN ('queued', 'retrying', 'sending');

    ALTER TABLE destination_state ADD COLUMN auth_key_fingerprint TEXT;
    ALTER TABLE destination_state ADD COLUMN auth_retry_at INTEGER;
  `
}
