import type Database from 'better-sqlite3'
import type { EventKind, EventStatus } from '@shared/model'

/** An event accepted at ingest, ready to be stored for one destination. */
export interface NewEvent {
  destination: string
  messageId: string
  kind: EventKind
  name: string
  userKey: string | null
  occurredAt: number | null
  /** JSON text exactly as it will be sent. */
  payload: string
  /** JSON text as the client sent it, when Outpost had to change `payload` (e.g. a device id). */
  receivedPayload?: string
  /** Path or query parameters of the upstream request, as JSON text; null when none. */
  upstreamParams: string | null
  /**
   * Set when `messageId` comes from the request's Idempotency-Key: an event already stored under
   * it must have been sent with the same text, or the key was reused for another request.
   */
  keyedByRequest?: boolean
}

export interface EnqueueResult {
  inserted: number
  duplicates: number
  /** The request's Idempotency-Key was used before for a different body: nothing of it was stored. */
  keyReused?: boolean
}

/** A row claimed for delivery. */
export interface ClaimedEvent {
  id: number
  messageId: string
  kind: EventKind
  payload: string
  upstreamParams: string | null
  attempts: number
}

export type BatchClaim =
  { kind: 'empty' } | { kind: 'waiting'; dueAt: number } | { kind: 'claimed'; events: ClaimedEvent[] }

export interface AttemptRecord {
  destination: string
  startedAt: number
  durationMs: number
  status: number | null
  outcome: 'ok' | 'retry' | 'auth' | 'permanent'
  reason: string
  request: string
  responseBody: string | null
}

/** Where an attempt leaves its events. `queued` puts them back untouched (auth hold, batch split). */
export type Settlement =
  | { status: 'sent' }
  | { status: 'retrying'; nextAttemptAt: number; error: string }
  | { status: 'failed'; error: string }
  | { status: 'queued'; error: string }

export interface Backlog {
  events: number
  bytes: number
}

/** Statuses of events not delivered yet: what the outbox's bounds count. */
const BACKLOG_STATUSES: readonly EventStatus[] = ['queued', 'retrying', 'sending', 'failed']

/**
 * The delivery queue: events waiting, and events leased to a request. Must read exactly as the
 * WHERE of the partial index outbox_pending. Leased rows stay in it: an event behind one must not
 * overtake it, and once its lease has expired it is waiting again.
 */
const QUEUE = `status IN ('queued', 'retrying', 'sending')`

export interface Outbox {
  enqueueEvents(requests: NewEvent[][], receivedAt: number): EnqueueResult[]
  claimDueBatch(
    destination: string,
    now: number,
    limit: number,
    leaseMs: number,
    sameBatch: (kind: EventKind) => boolean
  ): BatchClaim
  settleAttempt(
    attempt: AttemptRecord,
    groups: { ids: number[]; settlement: Settlement }[],
    now: number
  ): void
  makeDueNow(destination: string, now: number): number
  releaseStaleLeases(): number
  releaseClaim(ids: number[], dueAt: number, error: string): void
  /** Events and bytes not delivered yet (waiting, in flight or failed): what the outbox bounds hold. */
  backlog(): Backlog
}

/** The write side of the outbox: ingest, the delivery queue and its leases. */
export function createOutbox(db: Database.Database): Outbox {
  const insertEvent = db.prepare(`
    INSERT INTO outbox (destination, message_id, kind, name, user_key, occurred_at, received_at,
                        received_payload, payload, upstream_params, next_attempt_at, bytes)
    VALUES (@destination, @messageId, @kind, @name, @userKey, @occurredAt, @receivedAt,
            @receivedPayload, @payload, @upstreamParams, @receivedAt, @bytes)
    ON CONFLICT (destination, message_id) DO NOTHING`)
  const selectStoredCall = db.prepare(`
    SELECT kind, coalesce(received_payload, payload) AS text, upstream_params AS upstreamParams
    FROM outbox WHERE destination = ? AND message_id = ?`)
  // The trigger-kept ledger (migrations 5 and 6): it moves in the same transaction as every write,
  // so a rolled-back write never counts, and reading it costs a few rows whatever the outbox holds.
  const selectBacklog = db.prepare(`
    SELECT coalesce(sum(n), 0) AS events, coalesce(sum(bytes), 0) AS bytes
    FROM status_counts WHERE status IN (${BACKLOG_STATUSES.map((status) => `'${status}'`).join(', ')})`)
  const selectQueueHead = db.prepare(`
    SELECT id, message_id AS messageId, kind, payload, upstream_params AS upstreamParams, attempts,
           CASE status WHEN 'sending' THEN lease_until ELSE next_attempt_at END AS dueAt
    FROM outbox WHERE destination = ? AND ${QUEUE} ORDER BY id LIMIT ?`)
  const leaseEvent = db.prepare(`UPDATE outbox SET status = 'sending', lease_until = ? WHERE id = ?`)
  const releaseLeases = db.prepare(
    `UPDATE outbox SET status = 'queued', lease_until = NULL WHERE status = 'sending'`
  )
  const releaseLease = db.prepare(`
    UPDATE outbox SET status = 'retrying', lease_until = NULL, next_attempt_at = ?, last_error = ?
    WHERE id = ? AND status = 'sending'`)
  const insertAttempt = db.prepare(`
    INSERT INTO attempts (destination, started_at, duration_ms, status, outcome, reason, request, response_body, batch_size)
    VALUES (@destination, @startedAt, @durationMs, @status, @outcome, @reason, @request, @responseBody, @batchSize)`)
  const linkAttempt = db.prepare(`INSERT OR IGNORE INTO attempt_events (event_id, attempt_id) VALUES (?, ?)`)
  const settleEvent = db.prepare(`
    UPDATE outbox SET status = @status, attempts = attempts + 1, lease_until = NULL,
      last_status = @lastStatus, last_error = @error, next_attempt_at = coalesce(@nextAttemptAt, next_attempt_at),
      sent_at = CASE WHEN @status = 'sent' THEN @now ELSE sent_at END
    WHERE id = @id AND status = 'sending'`)
  const recordSuccess = db.prepare(`
    INSERT INTO destination_state (id, last_success_at) VALUES (?, ?)
    ON CONFLICT (id) DO UPDATE SET last_success_at = excluded.last_success_at`)
  const rescheduleHead = db.prepare(
    `UPDATE outbox SET next_attempt_at = ? WHERE destination = ? AND ${QUEUE} AND next_attempt_at > ?`
  )

  /**
   * Whether an event is already stored under this one's message id as another call: another
   * kind, text, or path parameters and query (an Embeddables project, UserFlux's locationEnrichment).
   */
  function storedAsOtherCall(event: NewEvent): boolean {
    const stored = selectStoredCall.get(event.destination, event.messageId) as
      { kind: string; text: string; upstreamParams: string | null } | undefined
    return (
      stored !== undefined &&
      (stored.kind !== event.kind ||
        stored.text !== (event.receivedPayload ?? event.payload) ||
        stored.upstreamParams !== event.upstreamParams)
    )
  }

  function enqueueRequest(events: NewEvent[], receivedAt: number): EnqueueResult {
    // Checked before anything is written: a savepoint per request to roll a refusal back would
    // journal every page the request touches, which doubled the cost of every insert.
    if (events.some((event) => event.keyedByRequest && storedAsOtherCall(event))) {
      return { inserted: 0, duplicates: 0, keyReused: true }
    }
    let inserted = 0
    for (const event of events) {
      const row = {
        destination: event.destination,
        messageId: event.messageId,
        kind: event.kind,
        name: event.name,
        userKey: event.userKey,
        occurredAt: event.occurredAt,
        payload: event.payload,
        receivedPayload: event.receivedPayload ?? null,
        upstreamParams: event.upstreamParams,
        receivedAt,
        bytes: Buffer.byteLength(event.payload)
      }
      inserted += insertEvent.run(row).changes
    }
    return { inserted, duplicates: events.length - inserted }
  }

  /**
   * Stores the events of many requests in one transaction; each request gets its own counts. A
   * request that reuses an Idempotency-Key for another call stores nothing and does not disturb
   * the others.
   */
  const enqueueEvents = db.transaction((requests: NewEvent[][], receivedAt: number): EnqueueResult[] =>
    requests.map((events) => enqueueRequest(events, receivedAt))
  )

  /**
   * Leases the next batch of a destination. The queue is FIFO: when its oldest event is not due
   * yet (waiting for its backoff, or leased to a request whose lease runs), nothing behind it goes
   * either, which keeps identify and track calls in accepted order. An expired lease is due.
   * A batch holds events of one kind and the same upstream parameters only, up to `limit`;
   * kinds that `sameBatch` says cannot be batched go alone.
   */
  const claimDueBatch = db.transaction(
    (
      destination: string,
      now: number,
      limit: number,
      leaseMs: number,
      sameBatch: (kind: EventKind) => boolean
    ): BatchClaim => {
      const rows = selectQueueHead.all(destination, limit) as (ClaimedEvent & { dueAt: number })[]
      const head = rows[0]
      if (!head) return { kind: 'empty' }
      if (head.dueAt > now) return { kind: 'waiting', dueAt: head.dueAt }
      const events: ClaimedEvent[] = []
      for (const row of rows) {
        const joinsBatch =
          row.kind === head.kind &&
          row.upstreamParams === head.upstreamParams &&
          sameBatch(row.kind) &&
          row.dueAt <= now
        if (events.length > 0 && !joinsBatch) break
        leaseEvent.run(now + leaseMs, row.id)
        const { dueAt: _due, ...event } = row
        events.push(event)
      }
      return { kind: 'claimed', events }
    }
  )

  /** Records one upstream attempt and moves each of its events to where the answer sends it. */
  const settleAttempt = db.transaction(
    (attempt: AttemptRecord, groups: { ids: number[]; settlement: Settlement }[], now: number): void => {
      const batchSize = groups.reduce((sum, group) => sum + group.ids.length, 0)
      if (attempt.outcome === 'ok') recordSuccess.run(attempt.destination, now)
      const attemptId = Number(insertAttempt.run({ ...attempt, batchSize }).lastInsertRowid)
      for (const { ids, settlement } of groups) {
        for (const id of ids) {
          linkAttempt.run(id, attemptId)
          settleEvent.run({
            id,
            now,
            status: settlement.status,
            lastStatus: attempt.status,
            error: settlement.status === 'sent' ? null : settlement.error,
            nextAttemptAt: settlement.status === 'retrying' ? settlement.nextAttemptAt : null
          })
        }
      }
    }
  )

  /** A person pressed "sync now": every waiting event of the destination becomes due. */
  function makeDueNow(destination: string, now: number): number {
    return rescheduleHead.run(now, destination, now).changes
  }

  /** At start no request is in flight, so every lease left by a crash is stale. */
  function releaseStaleLeases(): number {
    return releaseLeases.run().changes
  }

  /**
   * Gives claimed events back to the queue, due at `dueAt`, when their attempt could not be
   * recorded (the request was never built, or the store refused the settlement).
   */
  const releaseClaim = db.transaction((ids: number[], dueAt: number, error: string): void => {
    for (const id of ids) releaseLease.run(dueAt, error, id)
  })

  return {
    enqueueEvents,
    claimDueBatch,
    settleAttempt,
    makeDueNow,
    releaseStaleLeases,
    releaseClaim,
    backlog: () => selectBacklog.get() as Backlog
  }
}
