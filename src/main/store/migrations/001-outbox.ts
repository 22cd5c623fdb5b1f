import type { Migration } from './index'

/** The outbox: one row per (event, destination), its delivery attempts, and what people did. */
export const outbox: Migration = {
  version: 1,
  name: 'outbox',
  sql: `
    CREATE TABLE outbox (
      id               INTEGER PRIMARY KEY,
      destination      TEXT    NOT NULL,
      message_id       TEXT    NOT NULL,
      kind             TEXT    NOT NULL,
      name             TEXT    NOT NULL,
      user_key         TEXT,
      occurred_at      INTEGER,
      received_at      INTEGER NOT NULL,
      -- NULL while the payload to send is still what the client sent (stored once).
      received_payload TEXT,
      payload          TEXT    NOT NULL,
      revision         INTEGER NOT NULL DEFAULT 0,
      status           TEXT    NOT NULL DEFAULT 'queued',
      attempts         INTEGER NOT NULL DEFAULT 0,
      next_attempt_at  INTEGER NOT NULL,
      lease_until      INTEGER,
      last_error       TEXT,
      last_status      INTEGER,
      sent_at          INTEGER,
      bytes            INTEGER NOT NULL,
      UNIQUE (destination, message_id)
    );
    -- The delivery queue of a destination, oldest first: the sync engine's hot path.
    -- Queries must repeat this WHERE exactly for SQLite to use the partial index.
    CREATE INDEX outbox_pending ON outbox (destination, id) WHERE status IN ('queued', 'retrying');
    -- Status counts per destination, and the UI's status filter.
    CREATE INDEX outbox_status ON outbox (status, destination, id);
    -- Retention: delivered rows are pruned oldest first.
    CREATE INDEX outbox_sent_at ON outbox (status, sent_at);

    CREATE TABLE attempts (
      id            INTEGER PRIMARY KEY,
      destination   TEXT    NOT NULL,
      started_at    INTEGER NOT NULL,
      duration_ms   INTEGER NOT NULL,
      status        INTEGER,
      outcome       TEXT    NOT NULL,
      reason        TEXT    NOT NULL,
      request       TEXT    NOT NULL,
      response_body TEXT,
      batch_size    INTEGER NOT NULL
    );
    CREATE TABLE attempt_events (
      event_id   INTEGER NOT NULL REFERENCES outbox (id) ON DELETE CASCADE,
      attempt_id INTEGER NOT NULL REFERENCES attempts (id) ON DELETE CASCADE,
      PRIMARY KEY (event_id, attempt_id)
    ) WITHOUT ROWID;
    CREATE INDEX attempt_events_attempt ON attempt_events (attempt_id);

    CREATE TABLE user_actions (
      id          INTEGER PRIMARY KEY,
      at          INTEGER NOT NULL,
      actor       TEXT    NOT NULL,
      action      TEXT    NOT NULL,
      event_id    INTEGER,
      destination TEXT,
      before      TEXT,
      after       TEXT
    );
    CREATE INDEX user_actions_event ON user_actions (event_id);

    CREATE TABLE destination_state (
      id              TEXT PRIMARY KEY,
      paused          INTEGER NOT NULL DEFAULT 0,
      auth_hold       TEXT,
      last_success_at INTEGER
    );
  `
}
