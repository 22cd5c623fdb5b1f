import type { EventQuery, EventStatus } from '@shared/model'

/**
 * Which receipt times the list shows: any; the last minutes up to now (the window moves with the
 * clock at every read); or between two local times as a datetime-local input gives them (to the
 * minute, both included; either may be empty).
 */
export type ReceivedFilter =
  { kind: 'any' } | { kind: 'last'; minutes: number } | { kind: 'between'; from: string; to: string }

export interface EventFilters {
  status: EventStatus | ''
  destination: string
  search: string
  /** An event name, exactly; '' for any. */
  name: string
  /** A user key, exactly; '' for any. */
  user: string
  /** Only the events one upstream request carried; null for all. */
  attemptId: number | null
  received: ReceivedFilter
}

export const NO_FILTERS: EventFilters = {
  status: '',
  destination: '',
  search: '',
  name: '',
  user: '',
  attemptId: null,
  received: { kind: 'any' }
}

/** The filters typed in a text field: each applies after a pause in typing. */
export type TypedFilter = 'search' | 'name' | 'user'

export const NOTHING_TYPED: Record<TypedFilter, string> = { search: '', name: '', user: '' }

/** Whether two filters select the same events (every field is plain data). */
export function sameFilters(a: EventFilters, b: EventFilters): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

/** Whether any filter narrows the list. */
export const isFiltered = (filters: EventFilters): boolean => !sameFilters(filters, NO_FILTERS)

/** A datetime-local value (local time, to the minute) as an instant; null when empty or not a time. */
function localTime(value: string): number | null {
  const ms = value === '' ? Number.NaN : new Date(value).getTime()
  return Number.isNaN(ms) ? null : ms
}

/** The receipt times of a ReceivedFilter, as the admin API takes them; `now` for the last minutes. */
function receivedRange(
  received: ReceivedFilter,
  now: number
): Pick<EventQuery, 'receivedFrom' | 'receivedTo'> {
  if (received.kind === 'last')
    return { receivedFrom: new Date(now - received.minutes * 60_000).toISOString() }
  if (received.kind === 'any') return {}
  const from = localTime(received.from)
  const to = localTime(received.to)
  return {
    ...(from === null ? {} : { receivedFrom: new Date(from).toISOString() }),
    // The whole minute picked: its last millisecond included.
    ...(to === null ? {} : { receivedTo: new Date(to + 59_999).toISOString() })
  }
}

export function toQuery(filters: EventFilters, now = Date.now()): EventQuery {
  const query: EventQuery = receivedRange(filters.received, now)
  if (filters.status) query.status = filters.status
  if (filters.destination) query.destination = filters.destination
  if (filters.search) query.search = filters.search
  if (filters.name) query.name = filters.name
  if (filters.user) query.user = filters.user
  if (filters.attemptId !== null) query.attemptId = filters.attemptId
  return query
}
