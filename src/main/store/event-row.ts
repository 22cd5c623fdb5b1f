import type { EventSummary, EventStatus } from '@shared/model'

/** An outbox row as the list reads it, and what the UI's list (and an export) shows of it. */
export interface EventRow {
  id: number
  destination: string
  kind: EventSummary['kind']
  name: string
  user_key: string | null
  message_id: string
  status: EventStatus
  attempts: number
  occurred_at: number | null
  received_at: number
  sent_at: number | null
  next_attempt_at: number
  last_status: number | null
  last_error: string | null
}

export const SUMMARY_COLUMNS = `id, destination, kind, name, user_key, message_id, status, attempts, occurred_at,
  received_at, sent_at, next_attempt_at, last_status, last_error`
export const PAYLOAD_COLUMNS = `coalesce(received_payload, payload) AS received_payload, payload, revision`

export interface PayloadColumns {
  received_payload: string
  payload: string
  revision: number
}

export const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString())

/** An event's list fields, as the UI's list (and an export) shows them. */
export function toSummary(row: EventRow): EventSummary {
  const waiting = row.status === 'queued' || row.status === 'retrying'
  return {
    id: row.id,
    destination: row.destination,
    kind: row.kind,
    name: row.name,
    userKey: row.user_key,
    messageId: row.message_id,
    status: row.status,
    attempts: row.attempts,
    occurredAt: iso(row.occurred_at),
    receivedAt: iso(row.received_at) as string,
    sentAt: iso(row.sent_at),
    nextAttemptAt: waiting ? iso(row.next_attempt_at) : null,
    lastStatus: row.last_status,
    lastError: row.last_error
  }
}
