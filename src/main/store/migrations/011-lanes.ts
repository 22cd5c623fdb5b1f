import { LANE_FUNCTION } from '../lanes'
import type { Migration } from './index'

/**
 * Delivery lanes (lanes.ts): each event's lane, a function of its user key, and the indexes a
 * claim reads by lane. A claim used to read the queue oldest first and skip users in flight; when
 * every stretch of the queue holds events of nearly every user (500 users evenly interleaved), one
 * batch of 500 put them all in flight and the next claims found nothing: 32 requests allowed,
 * about 2 in flight. Lanes let a claim go deep into the queue for users with nothing in flight.
 *
 * - `lane` is filled for every event that can still be delivered (waiting, in flight, failed or
 *   discarded: a person may send those back); delivered events are never claimed again, so an
 *   outbox of months of them is not rewritten for nothing.
 * - outbox_lanes replaces outbox_pending as the delivery queue: the same rows, by lane; a claim
 *   that keeps the whole queue's order merges the lanes by id (outbox.ts).
 * - outbox_leased_lanes replaces outbox_leased: what is in flight is asked for by lane.
 * - outbox_registrations holds waiting registrations too (outbox_leased_registrations held those in
 *   flight): nothing accepted after one may go before it, in any lane, and registrations are rare.
 * - outbox_sent_at holds delivered events only: as an index of every row it was rewritten at each
 *   status change, twice per delivery, for the sake of pruning, which reads only delivered events.
 *   It keeps the status as its first column, so that pruning's statement (status = 'sent' AND
 *   sent_at < ?) is still planned on it rather than on outbox_status.
 */
export const lanes: Migration = {
  version: 11,
  name: 'lanes',
  sql: `
    ALTER TABLE outbox ADD COLUMN lane INTEGER NOT NULL DEFAULT 0;
    UPDATE outbox SET lane = ${LANE_FUNCTION}(user_key) WHERE status <> 'sent' AND user_key IS NOT NULL;

    DROP INDEX outbox_pending;
    CREATE INDEX outbox_lanes ON outbox (destination, lane, id) WHERE status IN ('queued', 'retrying', 'sending');
    DROP INDEX outbox_leased;
    CREATE INDEX outbox_leased_lanes ON outbox (destination, lane, lease_until) WHERE status = 'sending';
    DROP INDEX outbox_leased_registrations;
    CREATE INDEX outbox_registrations ON outbox (destination, id)
      WHERE kind = 'device' AND status IN ('queued', 'retrying', 'sending');
    DROP INDEX outbox_sent_at;
    CREATE INDEX outbox_sent_at ON outbox (status, sent_at) WHERE status = 'sent';
  `
}
