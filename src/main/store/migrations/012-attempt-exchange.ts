import type { Migration } from './index'

/**
 * What each delivery attempt sent and received (the event detail's expandable attempt).
 *
 * - method, url, request_headers (JSON `[[name, value], ...]`, vendor keys masked before they get
 *   here: see sync/attempt-exchange.ts), response_headers (likewise, cut at 16 KB of header text;
 *   response_headers_omitted counts the lines left out). NULL in attempts recorded before this
 *   migration: the detail says "not recorded".
 * - The body sent is kept, not rebuilt: a person's edit after the attempt changes what the
 *   connector would build from the events now. request_bodies holds each distinct body once (by
 *   SHA-256): the retries of one batch through a week offline share one row instead of writing the
 *   batch again at every try. Retention deletes a body with the last attempt that names it
 *   (attempts_request_body).
 */
export const attemptExchange: Migration = {
  version: 12,
  name: 'attempt-exchange',
  sql: `
    CREATE TABLE request_bodies (
      id     INTEGER PRIMARY KEY,
      sha256 TEXT    NOT NULL UNIQUE,
      body   TEXT    NOT NULL
    );
    ALTER TABLE attempts ADD COLUMN method TEXT;
    ALTER TABLE attempts ADD COLUMN url TEXT;
    ALTER TABLE attempts ADD COLUMN request_headers TEXT;
    ALTER TABLE attempts ADD COLUMN request_body_id INTEGER REFERENCES request_bodies (id);
    ALTER TABLE attempts ADD COLUMN request_body_bytes INTEGER;
    ALTER TABLE attempts ADD COLUMN response_headers TEXT;
    ALTER TABLE attempts ADD COLUMN response_headers_omitted INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX attempts_request_body ON attempts (request_body_id);
  `
}
