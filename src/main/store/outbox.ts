import { createHash } from 'node:crypto'
import type Database from 'better-sqlite3'
import type { EventKind, EventStatus } from '@shared/model'
import { LANES, laneOf } from './lanes'

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
  /** Copies stored for the destinations fed by this one (NATS streams), by destination. */
  copied?: Map<string, number>
  /** The request's Idempotency-Key was used before for a different body: nothing of it was stored. */
  keyReused?: boolean
}

/** A row claimed for delivery. */
export interface ClaimedEvent {
  id: number
  messageId: string
  kind: EventKind
  name: string
  payload: string
  upstreamParams: string | null
  attempts: number
}

/** Nothing may go now: the queue is empty, or when that may change. */
export type NothingToClaim = { kind: 'empty' } | { kind: 'waiting'; dueAt: number }

export type BatchClaim = NothingToClaim | { kind: 'claimed'; events: ClaimedEvent[] }

/** Several batches claimed at once; `then` is what the claim after the last said, when it found nothing. */
export interface BatchClaims {
  batches: ClaimedEvent[][]
  then: NothingToClaim | null
}

/**
 * How many waiting events a claim looks at in one lane, and in all before it stops starting on
 * another lane: the bound on one claim's work with a million queued. A user whose events lie
 * beyond it in its lane waits until the window reaches them.
 */
export const CLAIM_WINDOW = 1_000

export interface ClaimOptions {
  /** Whose events keep their accepted order: each user's (several requests in flight), or the whole queue's. */
  order?: 'user' | 'queue'
  window?: number
}

/** The one user every event has when the whole queue keeps its order. */
const WHOLE_QUEUE = Symbol('whole queue')
type OrderKey = string | null | typeof WHOLE_QUEUE

export interface AttemptRecord {
  destination: string
  startedAt: number
  durationMs: number
  status: number | null
  outcome: 'ok' | 'retry' | 'auth' | 'permanent'
  reason: string
  request: string
  responseBody: string | null
  /** What was sent and received, vendor keys already masked; absent when nothing was sent. */
  exchange?: ExchangeRecord
}

/** Header lines in order, as `[name, value]`. */
export type HeaderPairs = [string, string][]

export interface ExchangeRecord {
  method: string
  url: string
  requestHeaders: HeaderPairs
  requestBody: string
  /**
   * Set when the body need not be stored: an `ok` answer, a body that does not hold the key. The
   * store then keeps only this check, unless an event was no longer in flight to be made `sent`.
   */
  rebuildable: RebuildableBody | null
  /** Null when no answer came. */
  responseHeaders: HeaderPairs | null
  responseHeadersOmitted: number
}

/** What a body left to be rebuilt keeps: the connector that built it and the CRC-32 of its UTF-8 bytes. */
export interface RebuildableBody {
  vendor: string
  crc32: number
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
 * WHERE of the partial indexes outbox_lanes and outbox_registrations. Leased rows stay in it: an
 * event behind one must not overtake it, and once its lease has expired it is waiting again.
 */
const QUEUE = `status IN ('queued', 'retrying', 'sending')`

/** A queued event as a claim weighs it, before its payload is read. */
const QUEUED_EVENT = `id, lane, kind, user_key AS userKey, upstream_params AS upstreamParams,
  CASE status WHEN 'sending' THEN lease_until ELSE next_attempt_at END AS dueAt`

/**
 * The claim's reads, named so that a test can assert their plans (test/unit/concurrent-claims.test.ts).
 * Each names its index: SQLite keeps no statistics here, and would take others that fit and read
 * more of them.
 */
export const CLAIM_SQL = {
  // Per lane, its oldest queued event and the earliest end of a lease running in it: two index
  // seeks a lane, 128 in all (~0.1-0.2 ms), whatever the queue holds.
  lanes: `
    WITH RECURSIVE lanes (lane) AS (SELECT 0 UNION ALL SELECT lane + 1 FROM lanes WHERE lane < ${LANES - 1})
    SELECT lane,
      (SELECT min(id) FROM outbox INDEXED BY outbox_lanes
        WHERE destination = @destination AND lane = lanes.lane AND ${QUEUE}) AS head,
      (SELECT min(lease_until) FROM outbox INDEXED BY outbox_leased_lanes
        WHERE destination = @destination AND lane = lanes.lane AND status = 'sending' AND lease_until > @now) AS leaseEnd
    FROM lanes ORDER BY lane`,
  // One lane with nothing in flight, oldest first, up to a registration.
  lane: `
    SELECT ${QUEUED_EVENT} FROM outbox INDEXED BY outbox_lanes
    WHERE destination = @destination AND lane = @lane AND ${QUEUE} AND id <= @boundary
    ORDER BY id LIMIT @window`,
  // The whole queue in accepted order: the lanes merged by id (SQLite merges the ordered arms, no
  // sort). Read only when nothing is in flight, so a leased row in it is one whose lease expired.
  wholeQueue: `${Array.from(
    { length: LANES },
    (_, lane) => `
    SELECT ${QUEUED_EVENT} FROM outbox INDEXED BY outbox_lanes
    WHERE destination = @destination AND lane = ${lane} AND ${QUEUE} AND id <= @boundary`
  ).join(' UNION ALL ')}
    ORDER BY id LIMIT @window`,
  // The oldest registration waiting or in flight: nothing accepted after it goes before it.
  firstRegistration: `
    SELECT min(id) FROM outbox INDEXED BY outbox_registrations
    WHERE destination = ? AND kind = 'device' AND ${QUEUE}`
}

/** The copies of an accepted event for the destinations its own feeds (a NATS stream); none for most. */
export type CopiesOf = (event: NewEvent) => NewEvent[]

export interface Outbox {
  enqueueEvents(requests: NewEvent[][], receivedAt: number, copiesOf?: CopiesOf): EnqueueResult[]
  claimDueBatch(
    destination: string,
    now: number,
    limit: number,
    leaseMs: number,
    sameBatch: (kind: EventKind) => boolean,
    options?: ClaimOptions
  ): BatchClaim
  /** Up to `count` batches, as many claimDueBatch calls in a row would lease, reading the lanes once. */
  claimDueBatches(
    destination: string,
    now: number,
    count: number,
    limit: number,
    leaseMs: number,
    sameBatch: (kind: EventKind) => boolean,
    options?: ClaimOptions
  ): BatchClaims
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
  /**
   * Runs `work` in one transaction (a savepoint inside another): an answer's settlement and the
   * claims that follow it cost one commit.
   */
  inTransaction<T>(work: () => T): T
}

/**
 * Most events one insert statement stores. Every insert fires the status counts' trigger, so SQLite
 * keeps a statement journal for it: each page the statement changes is copied once per statement.
 * A request's events share most of their pages (the outbox's newest leaf, the last leaves of its
 * indexes, the destination's status counts), so one statement per event copied them for every
 * event: in a loop of 1,500 events per commit, 12.5 µs of CPU per event against 7.5 µs with ten or
 * more events per statement.
 */
const EVENTS_PER_INSERT = 100

/** An event's values in the order of the insert statement's columns. */
function insertedColumns(event: NewEvent, receivedAt: number): unknown[] {
  return [
    event.destination,
    event.messageId,
    event.kind,
    event.name,
    event.userKey,
    event.occurredAt,
    receivedAt,
    event.receivedPayload ?? null,
    event.payload,
    event.upstreamParams,
    receivedAt,
    Buffer.byteLength(event.payload),
    laneOf(event.userKey)
  ]
}

/** The write side of the outbox: ingest, the delivery queue and its leases. */
export function createOutbox(db: Database.Database): Outbox {
  // One statement per number of rows, prepared when first needed (at most EVENTS_PER_INSERT of them).
  const insertStatements = new Map<number, Database.Statement>()
  function insertEvents(rows: number): Database.Statement {
    let statement = insertStatements.get(rows)
    if (!statement) {
      statement = db.prepare(`
        INSERT INTO outbox (destination, message_id, kind, name, user_key, occurred_at, received_at,
                            received_payload, payload, upstream_params, next_attempt_at, bytes, lane)
        VALUES ${Array.from({ length: rows }, () => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}
        ON CONFLICT (destination, message_id) DO NOTHING`)
      insertStatements.set(rows, statement)
    }
    return statement
  }
  const selectStoredCall = db.prepare(`
    SELECT kind, coalesce(received_payload, payload) AS text, upstream_params AS upstreamParams
    FROM outbox WHERE destination = ? AND message_id = ?`)
  // The trigger-kept ledger (migrations 5 and 6): it moves in the same transaction as every write,
  // so a rolled-back write never counts, and reading it costs a few rows whatever the outbox holds.
  const selectBacklog = db.prepare(`
    SELECT coalesce(sum(n), 0) AS events, coalesce(sum(bytes), 0) AS bytes
    FROM status_counts WHERE status IN (${BACKLOG_STATUSES.map((status) => `'${status}'`).join(', ')})`)
  const selectLanes = db.prepare(CLAIM_SQL.lanes)
  const selectLane = db.prepare(CLAIM_SQL.lane)
  const selectWholeQueue = db.prepare(CLAIM_SQL.wholeQueue)
  const selectFirstRegistration = db.prepare(CLAIM_SQL.firstRegistration).pluck()
  const leaseEvents = db.prepare(`
    UPDATE outbox SET status = 'sending', lease_until = ? WHERE id IN (SELECT value FROM json_each(?))
    RETURNING id, message_id AS messageId, kind, name, payload, upstream_params AS upstreamParams, attempts`)
  const releaseLeases = db.prepare(
    `UPDATE outbox SET status = 'queued', lease_until = NULL WHERE status = 'sending'`
  )
  const releaseLease = db.prepare(`
    UPDATE outbox SET status = 'retrying', lease_until = NULL, next_attempt_at = ?, last_error = ?
    WHERE id IN (SELECT value FROM json_each(?)) AND status = 'sending'`)
  const insertAttempt = db.prepare(`
    INSERT INTO attempts (destination, started_at, duration_ms, status, outcome, reason, request, response_body, batch_size,
      method, url, request_headers, request_body_id, request_body_bytes, request_body_vendor, request_body_crc32,
      response_headers, response_headers_omitted)
    VALUES (@destination, @startedAt, @durationMs, @status, @outcome, @reason, @request, @responseBody, @batchSize,
      @method, @url, @requestHeaders, @requestBodyId, @requestBodyBytes, @requestBodyVendor, @requestBodyCrc32,
      @responseHeaders, @responseHeadersOmitted)`)
  // Two statements, not an upsert: ON CONFLICT DO UPDATE would rewrite the stored body each retry.
  const insertRequestBody = db.prepare(
    `INSERT INTO request_bodies (sha256, body) VALUES (?, ?) ON CONFLICT (sha256) DO NOTHING`
  )
  const selectRequestBodyId = db.prepare(`SELECT id FROM request_bodies WHERE sha256 = ?`).pluck()
  const keepRequestBody = db.prepare(`
    UPDATE attempts SET request_body_id = ?, request_body_vendor = NULL, request_body_crc32 = NULL WHERE id = ?`)
  const linkAttempt = db.prepare(
    `INSERT OR IGNORE INTO attempt_events (event_id, attempt_id) SELECT value, ? FROM json_each(?)`
  )
  const settleEvents = db.prepare(`
    UPDATE outbox SET status = @status, attempts = attempts + 1, lease_until = NULL,
      last_status = @lastStatus, last_error = @error, next_attempt_at = coalesce(@nextAttemptAt, next_attempt_at),
      sent_at = CASE WHEN @status = 'sent' THEN @now ELSE sent_at END
    WHERE id IN (SELECT value FROM json_each(@ids)) AND status = 'sending'`)
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

  /** Inserts the events not stored yet (by destination and message id); returns how many were new. */
  function insertNew(events: NewEvent[], receivedAt: number): number {
    let inserted = 0
    for (let first = 0; first < events.length; first += EVENTS_PER_INSERT) {
      const rows = events.slice(first, first + EVENTS_PER_INSERT)
      // changes counts the rows this statement inserted, not the status counts its trigger wrote.
      inserted += insertEvents(rows.length).run(
        rows.flatMap((event) => insertedColumns(event, receivedAt))
      ).changes
    }
    return inserted
  }

  /**
   * One request's events, and their copies for the destinations fed by theirs, in the caller's
   * transaction: an acknowledged event is stored for every destination it goes to, or for none. A
   * copy is deduplicated like its event, by its destination and message id, so a client's retry
   * (a repeated $message_id or Idempotency-Key) makes no second copy either.
   */
  function enqueueRequest(events: NewEvent[], receivedAt: number, copiesOf?: CopiesOf): EnqueueResult {
    // Checked before anything is written: a savepoint per request to roll a refusal back would
    // journal every page the request touches, which doubled the cost of every insert.
    if (events.some((event) => event.keyedByRequest && storedAsOtherCall(event))) {
      return { inserted: 0, duplicates: 0, keyReused: true }
    }
    const inserted = insertNew(events, receivedAt)
    const copies = copiesOf ? events.flatMap(copiesOf) : []
    if (copies.length === 0) return { inserted, duplicates: events.length - inserted }
    const copied = new Map<string, number>()
    for (const destination of new Set(copies.map((copy) => copy.destination))) {
      const own = copies.filter((copy) => copy.destination === destination)
      copied.set(destination, insertNew(own, receivedAt))
    }
    return { inserted, duplicates: events.length - inserted, copied }
  }

  /**
   * Stores the events of many requests in one transaction; each request gets its own counts. A
   * request that reuses an Idempotency-Key for another call stores nothing and does not disturb
   * the others.
   */
  const enqueueEvents = db.transaction(
    (requests: NewEvent[][], receivedAt: number, copiesOf?: CopiesOf): EnqueueResult[] =>
      requests.map((events) => enqueueRequest(events, receivedAt, copiesOf))
  )

  /**
   * Leases the next batch of a destination: due events that may go, each user's in accepted order.
   *
   * Order is kept per user (`order: 'user'`, the default) or for the whole queue (`'queue'`, as if
   * every event had one user: what one request in flight needs). Per user the queue is FIFO: a
   * user with an event in flight (a lease still running), or with an older event that is not due
   * (its backoff) or that this batch cannot take, has nothing claimed, so a user's events never
   * overtake each other while other users' events go. Events without a user key are one user.
   * A device registration goes before anything accepted after it (an event names its device only
   * inside its payload): no claim reaches past a registration waiting or in flight. An expired
   * lease is due.
   *
   * Per user, through lanes (lanes.ts): every user's events are in one lane, and a claim reads
   * only lanes with nothing in flight, in the order of their oldest event, each oldest first. The
   * batch starts at the first event that may go and takes the due events behind it, in that lane
   * and the next, of the same kind and upstream parameters, of users whose older events it all
   * took, up to `limit`; kinds that `sameBatch` says cannot be batched go alone. A lane is read up
   * to `window` events, and another lane is started only while the batch is empty or fewer than
   * `window` events were read in all. So a batch of one lane goes deep into the queue, and the
   * next claim finds other lanes free: requests in flight never share a lane.
   *
   * When nothing may go, the answer says when that may change: the earliest end of a running
   * lease, or due time of a waiting user's oldest event.
   *
   * claimDueBatches leases up to `count` batches in one go, each as this rule takes it after the
   * ones before it: the worker fills its free places with one read of the lanes.
   */
  const claimDueBatches = db.transaction(
    (
      destination: string,
      now: number,
      count: number,
      limit: number,
      leaseMs: number,
      sameBatch: (kind: EventKind) => boolean,
      { order = 'user', window = CLAIM_WINDOW }: ClaimOptions = {}
    ): BatchClaims => {
      // Read once, lane n at index n: a batch leased below changes only its own lanes, which it
      // marks in flight.
      const lanes = selectLanes.all({ destination, now }) as LaneState[]
      const boundary = (selectFirstRegistration.get(destination) as number | null) ?? Number.MAX_SAFE_INTEGER
      const batches: ClaimedEvent[][] = []
      while (batches.length < count) {
        const batch = new BatchBuilder(now, limit, sameBatch)
        if (order === 'queue') fillFromWholeQueue(batch, lanes, destination, boundary, window)
        else fillFromLanes(batch, lanes, destination, boundary, window)
        if (batch.events.length === 0) return { batches, then: nothingToClaim(batch, lanes) }
        batches.push(lease(batch.events, now + leaseMs))
        for (const row of batch.events) (lanes[row.lane] as LaneState).leaseEnd ??= now + leaseMs
      }
      return { batches, then: null }
    }
  )

  function claimDueBatch(
    destination: string,
    now: number,
    limit: number,
    leaseMs: number,
    sameBatch: (kind: EventKind) => boolean,
    options?: ClaimOptions
  ): BatchClaim {
    const { batches, then } = claimDueBatches(destination, now, 1, limit, leaseMs, sameBatch, options)
    const [events] = batches
    return events ? { kind: 'claimed', events } : (then as NothingToClaim)
  }

  /** One user for the whole queue: nothing goes while anything is in flight. */
  function fillFromWholeQueue(
    batch: BatchBuilder,
    lanes: LaneState[],
    destination: string,
    boundary: number,
    window: number
  ): void {
    if (lanes.some((lane) => lane.leaseEnd !== null)) return
    const rows = selectWholeQueue.iterate({ destination, boundary, window }) as Iterable<QueuedEvent>
    batch.consider(rows, () => WHOLE_QUEUE)
  }

  /** From the lanes with nothing in flight, oldest first, each up to the window (see claimDueBatch). */
  function fillFromLanes(
    batch: BatchBuilder,
    lanes: LaneState[],
    destination: string,
    boundary: number,
    window: number
  ): void {
    const free = lanes
      .filter((lane) => lane.leaseEnd === null && lane.head !== null && lane.head <= boundary)
      .sort((a, b) => (a.head as number) - (b.head as number))
    for (const { lane } of free) {
      if (batch.full || (batch.events.length > 0 && batch.looked >= window)) break
      const rows = selectLane.iterate({ destination, lane, boundary, window }) as Iterable<QueuedEvent>
      batch.consider(rows, (row) => row.userKey)
    }
  }

  /** Sorted by id, the order the request carries them: a delivered attempt's body is rebuilt in it (attempt-bodies.ts). */
  function lease(batch: QueuedEvent[], leaseUntil: number): ClaimedEvent[] {
    const leased = leaseEvents.all(leaseUntil, JSON.stringify(batch.map((row) => row.id))) as ClaimedEvent[]
    return leased.sort((a, b) => a.id - b.id)
  }

  /** The body's row, stored once however many attempts sent it (migration 12). */
  function storedBodyId(body: string): number {
    const sha256 = createHash('sha256').update(body).digest('hex')
    insertRequestBody.run(sha256, body)
    return selectRequestBodyId.get(sha256) as number
  }

  /** The exchange's columns: the body stored, or only what checks its rebuild (`rebuilt`, migration 14). */
  function exchangeColumns(exchange: ExchangeRecord | undefined, rebuilt: RebuildableBody | null) {
    if (!exchange) {
      return {
        method: null,
        url: null,
        requestHeaders: null,
        requestBodyId: null,
        requestBodyBytes: null,
        requestBodyVendor: null,
        requestBodyCrc32: null,
        responseHeaders: null,
        responseHeadersOmitted: 0
      }
    }
    return {
      method: exchange.method,
      url: exchange.url,
      requestHeaders: JSON.stringify(exchange.requestHeaders),
      requestBodyId: rebuilt ? null : storedBodyId(exchange.requestBody),
      requestBodyBytes: Buffer.byteLength(exchange.requestBody),
      requestBodyVendor: rebuilt?.vendor ?? null,
      requestBodyCrc32: rebuilt?.crc32 ?? null,
      responseHeaders: exchange.responseHeaders && JSON.stringify(exchange.responseHeaders),
      responseHeadersOmitted: exchange.responseHeadersOmitted
    }
  }

  /**
   * Records one upstream attempt and moves each of its events to where the answer sends it. The
   * body of an attempt that made all its events `sent` is not stored (it is rebuilt on read:
   * attempt-bodies.ts); every other attempt's is, since its events may still be edited.
   */
  const settleAttempt = db.transaction(
    (attempt: AttemptRecord, groups: { ids: number[]; settlement: Settlement }[], now: number): void => {
      const batchSize = groups.reduce((sum, group) => sum + group.ids.length, 0)
      if (attempt.outcome === 'ok') recordSuccess.run(attempt.destination, now)
      const { exchange } = attempt
      const rebuilt =
        attempt.outcome === 'ok' && groups.every((group) => group.settlement.status === 'sent')
          ? (exchange?.rebuildable ?? null)
          : null
      const attemptId = Number(
        insertAttempt.run({ ...attempt, ...exchangeColumns(exchange, rebuilt), batchSize }).lastInsertRowid
      )
      let settled = 0
      for (const { ids, settlement } of groups) {
        const idList = JSON.stringify(ids)
        linkAttempt.run(attemptId, idList)
        settled += settleEvents.run({
          ids: idList,
          now,
          status: settlement.status,
          lastStatus: attempt.status,
          error: settlement.status === 'sent' ? null : settlement.error,
          nextAttemptAt: settlement.status === 'retrying' ? settlement.nextAttemptAt : null
        }).changes
      }
      // An event no longer in flight (its lease ran out and another request took it) is not made
      // `sent` by this answer and may still change: the body is kept after all.
      if (rebuilt && exchange && settled < batchSize)
        keepRequestBody.run(storedBodyId(exchange.requestBody), attemptId)
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
  function releaseClaim(ids: number[], dueAt: number, error: string): void {
    releaseLease.run(dueAt, error, JSON.stringify(ids))
  }

  return {
    enqueueEvents,
    claimDueBatch,
    claimDueBatches,
    settleAttempt,
    makeDueNow,
    releaseStaleLeases,
    releaseClaim,
    backlog: () => selectBacklog.get() as Backlog,
    inTransaction: <T>(work: () => T): T => db.transaction(work)()
  }
}

/** A waiting event as a claim weighs it, before its payload is read. */
interface QueuedEvent {
  id: number
  lane: number
  kind: EventKind
  userKey: string | null
  upstreamParams: string | null
  dueAt: number
}

/** A lane as a claim first sees it: its oldest queued event, and the earliest end of a lease running in it. */
interface LaneState {
  lane: number
  head: number | null
  leaseEnd: number | null
}

/**
 * One request's batch, formed from queued events read oldest first: each user's events in order
 * (a user held back once stays held back), one kind and upstream parameters, up to the limit.
 */
class BatchBuilder {
  readonly events: QueuedEvent[] = []
  /** Events read so far, taken or not. */
  looked = 0
  /** Nothing more can join: the batch is at its limit, or of a kind that goes alone. */
  full = false
  /** The earliest due time of a user held back by an event not due yet. */
  nextDue = Infinity
  private readonly heldBack = new Set<OrderKey>()

  constructor(
    private readonly now: number,
    private readonly limit: number,
    private readonly sameBatch: (kind: EventKind) => boolean
  ) {}

  /** Reads `rows` until the batch is full; `userOf` says whose order each keeps. */
  consider(rows: Iterable<QueuedEvent>, userOf: (row: QueuedEvent) => OrderKey): void {
    for (const row of rows) {
      this.looked++
      const user = userOf(row)
      if (this.heldBack.has(user)) continue
      const [head] = this.events
      const takes = row.dueAt <= this.now && (head === undefined || joinsBatch(head, row, this.sameBatch))
      if (!takes) {
        this.heldBack.add(user)
        if (row.dueAt > this.now) this.nextDue = Math.min(this.nextDue, row.dueAt)
        continue
      }
      this.events.push(row)
      if (this.events.length === this.limit || row.kind === 'device' || !this.sameBatch(row.kind)) {
        this.full = true
        return
      }
    }
  }
}

/** Nothing to take: when that may change, the earliest end of a running lease or a held-back user's backoff. */
function nothingToClaim(batch: BatchBuilder, lanes: LaneState[]): NothingToClaim {
  const dueAt = Math.min(batch.nextDue, ...lanes.map((lane) => lane.leaseEnd ?? Infinity))
  return dueAt === Infinity ? { kind: 'empty' } : { kind: 'waiting', dueAt }
}

/** Whether `row` may go in the request `head` starts: same kind and parameters, of a kind that batches. */
function joinsBatch(head: QueuedEvent, row: QueuedEvent, sameBatch: (kind: EventKind) => boolean): boolean {
  return row.kind === head.kind && row.upstreamParams === head.upstreamParams && sameBatch(row.kind)
}
