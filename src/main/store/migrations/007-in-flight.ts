import type { Migration } from './index'

/**
 * What concurrent delivery asks of the leased rows (those in flight), without reading them all:
 * - whether a user has an event in flight (one request per user at a time keeps a user's events
 *   in order);
 * - whether a device registration is in flight (nothing accepted after it may go before it).
 * Only leased rows are in these indexes, so they stay as small as what is in flight, and ingest,
 * which never writes a leased row, does not maintain them.
 */
export const inFlight: Migration = {
  version: 7,
  name: 'in-flight',
  sql: `
    CREATE INDEX outbox_leased ON outbox (destination, user_key, lease_until) WHERE status = 'sending';
    CREATE INDEX outbox_leased_registrations ON outbox (destination, id) WHERE status = 'sending' AND kind = 'device';
  `
}
