import type { Migration } from './index'

/**
 * A successful attempt keeps no copy of its body: the body is rebuilt from the events it carried
 * when the event detail is read (store/attempt-bodies.ts). An `ok` attempt settled every one of its
 * events as `sent`, and nothing changes a sent event afterwards, so the same connector given the
 * same events in the same order (by id, as they were leased) builds the same bytes.
 *
 * - request_body_vendor: the connector that built the body, set only when the body is not stored
 *   (request_body_id NULL): the destination's vendor of the moment may be another by then.
 * - request_body_crc32: CRC-32 of the body's UTF-8 bytes, with request_body_bytes the check that a
 *   rebuild gave the bytes sent; a rebuild that does not match is shown as unavailable, never as
 *   what was sent.
 *
 * Attempts recorded before this migration keep their stored bodies (request_body_vendor NULL).
 */
export const rebuiltBodies: Migration = {
  version: 14,
  name: 'rebuilt-bodies',
  sql: `
    ALTER TABLE attempts ADD COLUMN request_body_vendor TEXT;
    ALTER TABLE attempts ADD COLUMN request_body_crc32 INTEGER;
  `
}
