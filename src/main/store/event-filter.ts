import type { EventFilter } from '@shared/model'

/** The conditions of a filter as SQL over `outbox`, and the named parameters they read. */
export interface FilterSql {
  conditions: string[]
  params: Record<string, string | number | undefined>
}

/** `%term%` for LIKE, the term's own `%`, `_` and `\` taken literally. */
function likePattern(term: string): string {
  return `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
}

/**
 * What the UI's filters mean (the same as the list's in queries.ts): a destination, a status, a
 * search in the event name and user key or an exact message id, the events of one upstream request.
 * `seekDestination: false` keeps SQLite from reaching a destination's rows through an index (a
 * reader of id ranges wants the range, not every row of the destination sorted again per page).
 */
export function eventFilterSql(filter: EventFilter, { seekDestination = true } = {}): FilterSql {
  const conditions: string[] = []
  // A unary + makes the column an expression, which no index serves.
  if (filter.destination !== undefined)
    conditions.push(`${seekDestination ? '' : '+'}destination = @destination`)
  if (filter.status !== undefined) conditions.push('status = @status')
  if (filter.search)
    conditions.push(
      `(name LIKE @search ESCAPE '\\' OR user_key LIKE @search ESCAPE '\\' OR message_id = @exact)`
    )
  if (filter.attemptId !== undefined)
    conditions.push('id IN (SELECT event_id FROM attempt_events WHERE attempt_id = @attemptId)')
  return {
    conditions,
    params: {
      destination: filter.destination,
      status: filter.status,
      search: filter.search ? likePattern(filter.search) : undefined,
      exact: filter.search || undefined,
      attemptId: filter.attemptId
    }
  }
}
