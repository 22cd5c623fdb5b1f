import type { Migration } from './index'

/**
 * Device registrations stored while offline get a provisional id; once the vendor answers,
 * the real id is kept here so events carrying the provisional one are rewritten before sending.
 */
export const devices: Migration = {
  version: 3,
  name: 'devices',
  sql: `
    CREATE TABLE device_ids (
      destination    TEXT    NOT NULL,
      provisional_id TEXT    NOT NULL,
      real_id        TEXT    NOT NULL,
      resolved_at    INTEGER NOT NULL,
      PRIMARY KEY (destination, provisional_id)
    ) WITHOUT ROWID;
  `
}
