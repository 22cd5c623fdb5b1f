import type { Migration } from './index'

/**
 * When a person discarded an event: discarded events leave the backlog bound, so they are
 * pruned after the retention period like delivered ones, and disk use stays bounded.
 */
export const discardedAt: Migration = {
  version: 4,
  name: 'discarded-at',
  sql: `
    ALTER TABLE outbox ADD COLUMN discarded_at INTEGER;
    UPDATE outbox SET discarded_at = received_at WHERE status = 'discarded';
    -- Retention of discarded events, oldest first; only discarded rows are in it.
    CREATE INDEX outbox_discarded_at ON outbox (status, discarded_at) WHERE status = 'discarded';
  `
}
