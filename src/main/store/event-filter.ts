import type { EventFilter } from '@shared/model'
import { searchTerm } from './search-text'

/** The conditions of a filter as SQL over `outbox`, and the named parameters they read. */
export interface FilterSql {
  conditions: string[]
  params: Record<string, string | number | undefined>
}

/**
 * What the UI's filters mean (the same as the list's in event-list.ts): a destination, a status, a
 * search (search-text.ts: event_matches, which the connection must have registered), an event name
 * and a user key (each exact, each with its index: migration 13), a time range of receipt (both
 * ends included), the events of one upstream request.
 * `seekDestination: false` keeps SQLite from reaching a destination's rows through an index (a
 * reader of id ranges wants the range, not every row of the destination sorted again per page).
 */
export function eventFilterSql(filter: EventFilter, { seekDestination = true } = {}): FilterSql {
  const conditions: string[] = []
  // A unary + makes the column an expression, which no index serves.
  if (filter.destination !== undefined)
    conditions.push(`${seekDestination ? '' : '+'}destination = @destination`)
  if (filter.status !== undefined) conditions.push('status = @status')
  if (filter.search) conditions.push('event_matches(id, name, user_key, message_id, payload, @term)')
  if (filter.name !== undefined) conditions.push('name = @name')
  if (filter.user !== undefined) conditions.push('user_key = @user')
  if (filter.receivedFrom !== undefined) conditions.push('received_at >= @from')
  if (filter.receivedTo !== undefined) conditions.push('received_at <= @to')
  if (filter.attemptId !== undefined)
    conditions.push('id IN (SELECT event_id FROM attempt_events WHERE attempt_id = @attemptId)')
  return {
    conditions,
    params: {
      destination: filter.destination,
      status: filter.status,
      term: filter.search ? searchTerm(filter.search) : undefined,
      name: filter.name,
      user: filter.user,
      from: filter.receivedFrom === undefined ? undefined : Date.parse(filter.receivedFrom),
      to: filter.receivedTo === undefined ? undefined : Date.parse(filter.receivedTo),
      attemptId: filter.attemptId
    }
  }
}
