import type { Migration } from './index'

/**
 * Request parameters some vendors need on the upstream request besides the body
 * (Embeddables' project id in the path, UserFlux's locationEnrichment query), as JSON.
 * Events batch together only when these are equal.
 */
export const upstreamParams: Migration = {
  version: 2,
  name: 'upstream-params',
  sql: `ALTER TABLE outbox ADD COLUMN upstream_params TEXT;`
}
