import type { EventKind, EventStatus } from '@shared/model'
import type { BulkResult as StoreBulkResult, ClaimOptions, EnqueueResult } from '../../src/main/store'
import { laneOf } from '../../src/main/store/lanes'
import { CLAIM_WINDOW } from '../../src/main/store/outbox'

/** A correction's outcome as the model knows it: which ids changed, not their history rows. */
type BulkResult = Omit<StoreBulkResult, 'records'>

/**
 * The outbox as a few arrays and rules in plain words, to hold the SQLite store to. It says
 * what the store must answer; it knows nothing of SQL, indexes, triggers or savepoints.
 *
 * - Ingest: an event whose (destination, message id) is already stored is a duplicate; a request
 *   keyed by an Idempotency-Key whose event comes again as another call (kind, text or request
 *   parameters) stores nothing at all.
 * - The queue of a destination is its waiting and leased events, oldest first. Order is kept per
 *   user (or for the whole queue, as if every event had one user). An event may start a batch
 *   when it is due, no event of its user is in flight (a lease still running; an expired lease is
 *   due) and no older event of its user waits. No claim takes an event accepted after the oldest
 *   registration (a device) waiting or in flight; a registration goes alone.
 * - Per user, a claim reads lanes (each user's lane is laneOf its user key): only lanes with no
 *   lease running, in the order of their oldest event, each lane's first `window` events; it
 *   starts on another lane only while its batch is empty or it read fewer than `window` events.
 *   The batch is the first event that may start one, and the events read after it of the same
 *   kind and request parameters, due, whose user's older events read are all in the batch, while
 *   the kind batches at all, up to the limit.
 * - The whole queue's order: a claim looks at the oldest `window` events when none is in flight;
 *   the batch is the run at the head that the per-user rule allows with one user.
 * - With nothing to take, a claim says when that may change: the earliest end of a running
 *   lease, or due time of the oldest looked-at event of a user not in flight.
 * - A person edits what is neither in flight nor delivered, resends what failed or was
 *   discarded (due now), discards what waits or failed.
 * - Retention deletes only delivered and discarded events finished before the cutoff, oldest
 *   first, at most a chunk a call; a restart gives every lease back.
 */

export const LEASE_MS = 30_000

export type Status = EventStatus

const IN_QUEUE: readonly Status[] = ['queued', 'retrying', 'sending']
/** What a person may act on: an edit, anything neither in flight nor delivered. */
export const APPLIES_TO = {
  edit: ['queued', 'retrying', 'failed', 'discarded'],
  resend: ['failed', 'discarded'],
  discard: ['queued', 'retrying', 'failed']
} as const satisfies Record<string, readonly Status[]>
/** What the outbox bounds count: everything not delivered and not given up by a person. */
export const BACKLOG: readonly Status[] = ['queued', 'retrying', 'sending', 'failed']

/** One event of a request, as the model sees it: `poisoned` events break their transaction. */
export interface RequestEvent {
  destination: string
  messageId: string
  kind: EventKind
  userKey: string | null
  upstreamParams: string | null
  /** The text as the client sent it. */
  text: string
  /** The text Outpost sends: `text`, unless it had to change it. */
  sentText: string
  keyedByRequest: boolean
  poisoned: boolean
}

export interface ModelEvent {
  /** The row id the store gave it, learnt when it was stored. */
  id: number
  /** Order of acceptance over the whole run. */
  seq: number
  destination: string
  messageId: string
  kind: EventKind
  userKey: string | null
  upstreamParams: string | null
  receivedText: string
  payload: string
  status: Status
  nextAttemptAt: number
  leaseUntil: number | null
  attempts: number
  sentAt: number | null
  discardedAt: number | null
  /** Failed or discarded once: a person may have sent it back behind later events. */
  leftQueue: boolean
}

export type RequestOutcome =
  | { kind: 'stored'; result: EnqueueResult; accepted: RequestEvent[] }
  /** The request's transaction breaks (a poisoned event): the store must refuse it whole. */
  | { kind: 'refused' }

export type ExpectedClaim =
  { kind: 'empty' } | { kind: 'waiting'; dueAt: number } | { kind: 'claimed'; events: ModelEvent[] }

export type Settled =
  | { status: 'sent' }
  | { status: 'retrying'; nextAttemptAt: number }
  | { status: 'failed' }
  | { status: 'queued' }

export class OutboxModel {
  private events: ModelEvent[] = []
  private accepted = 0

  /** Every stored event, lowest id first. */
  all(): readonly ModelEvent[] {
    return [...this.events].sort((a, b) => a.id - b.id)
  }

  find(id: number): ModelEvent | undefined {
    return this.events.find((event) => event.id === id)
  }

  private byKey(destination: string, messageId: string): ModelEvent | undefined {
    return this.events.find((event) => event.destination === destination && event.messageId === messageId)
  }

  /** What the store must answer for one request, given everything stored before it. */
  predictRequest(request: RequestEvent[]): RequestOutcome {
    // A reused Idempotency-Key is found before anything of the request is written, so it decides
    // even when an event of the request would break the insert.
    const reused = request.some((event) => {
      const stored = event.keyedByRequest ? this.byKey(event.destination, event.messageId) : undefined
      const earlier = stored && {
        kind: stored.kind,
        text: stored.receivedText,
        upstreamParams: stored.upstreamParams
      }
      return earlier !== undefined && !sameCall(earlier, event)
    })
    if (reused)
      return { kind: 'stored', result: { inserted: 0, duplicates: 0, keyReused: true }, accepted: [] }
    const accepted: RequestEvent[] = []
    let duplicates = 0
    for (const event of request) {
      if (event.poisoned) return { kind: 'refused' }
      const earlier =
        this.byKey(event.destination, event.messageId) ??
        accepted.find(
          (other) => other.destination === event.destination && other.messageId === event.messageId
        )
      if (earlier === undefined) accepted.push(event)
      else duplicates++
    }
    return { kind: 'stored', result: { inserted: accepted.length, duplicates }, accepted }
  }

  /** Adds an acknowledged event under the id the store gave it. */
  add(event: RequestEvent, id: number, receivedAt: number): void {
    this.events.push({
      id,
      seq: this.accepted++,
      destination: event.destination,
      messageId: event.messageId,
      kind: event.kind,
      userKey: event.userKey,
      upstreamParams: event.upstreamParams,
      receivedText: event.text,
      payload: event.sentText,
      status: 'queued',
      nextAttemptAt: receivedAt,
      leaseUntil: null,
      attempts: 0,
      sentAt: null,
      discardedAt: null,
      leftQueue: false
    })
  }

  /** The destination's waiting and leased events, oldest first. */
  queue(destination: string): ModelEvent[] {
    return this.all().filter((event) => event.destination === destination && IN_QUEUE.includes(event.status))
  }

  /** The batch a claim at `now` must lease (without leasing it). */
  nextBatch(
    destination: string,
    now: number,
    limit: number,
    batches: (kind: EventKind) => boolean,
    { order = 'user', window = CLAIM_WINDOW }: ClaimOptions = {}
  ): ExpectedClaim {
    const queue = this.queue(destination)
    if (queue.length === 0) return { kind: 'empty' }
    const running = queue.filter((event) => event.status === 'sending' && (event.leaseUntil as number) > now)
    const registration = queue.find((event) => event.kind === 'device')
    const readable = queue.filter((event) => registration === undefined || event.id <= registration.id)
    const lookedAt =
      order === 'queue'
        ? // The whole queue is one user: nothing goes while anything is in flight.
          [running.length > 0 ? [] : readable.slice(0, window)]
        : this.freeLanes(readable, running).map((lane) => lane.slice(0, window))
    const userOf = (event: ModelEvent) => (order === 'user' ? event.userKey : 'the whole queue')
    const looked: ModelEvent[] = []
    const batch: ModelEvent[] = []
    const closed = () =>
      batch.length === limit ||
      (batch[0] !== undefined && (batch[0].kind === 'device' || !batches(batch[0].kind)))
    for (const lane of lookedAt) {
      if (closed() || (batch.length > 0 && looked.length >= window)) break
      looked.push(...lane)
      for (const event of lane) {
        if (closed()) break
        const olderOfUser = looked.filter((older) => older.id < event.id && userOf(older) === userOf(event))
        const joins =
          dueAt(event) <= now &&
          olderOfUser.every((older) => batch.includes(older)) &&
          (batch[0] === undefined || sameRequest(batch[0], event, batches))
        if (joins) batch.push(event)
      }
    }
    if (batch.length > 0) return { kind: 'claimed', events: batch.sort((a, b) => a.id - b.id) }
    const oldestOfUsers = looked.filter(
      (event) => !looked.some((older) => older.id < event.id && userOf(older) === userOf(event))
    )
    return { kind: 'waiting', dueAt: Math.min(...[...running, ...oldestOfUsers].map(dueAt)) }
  }

  /** The lanes with no lease running, each oldest first, in the order of their oldest event. */
  private freeLanes(readable: ModelEvent[], running: ModelEvent[]): ModelEvent[][] {
    const busy = new Set(running.map((event) => laneOf(event.userKey)))
    const lanes = new Map<number, ModelEvent[]>()
    for (const event of readable) {
      const lane = laneOf(event.userKey)
      if (!busy.has(lane)) lanes.set(lane, [...(lanes.get(lane) ?? []), event])
    }
    return [...lanes.values()].sort((a, b) => (a[0] as ModelEvent).id - (b[0] as ModelEvent).id)
  }

  lease(events: ModelEvent[], now: number): void {
    for (const event of events) {
      event.status = 'sending'
      event.leaseUntil = now + LEASE_MS
    }
  }

  /** An attempt's answer for events still leased. Fails when a delivered event overtook an older one. */
  settle(ids: number[], settled: Settled, now: number): void {
    const leased = ids.map((id) => this.find(id)).filter((event) => event?.status === 'sending')
    for (const event of leased as ModelEvent[]) {
      if (settled.status === 'sent') this.assertNothingOlderUnsent(event, ids)
      event.status = settled.status
      event.attempts++
      event.leaseUntil = null
      if (settled.status === 'retrying') event.nextAttemptAt = settled.nextAttemptAt
      if (settled.status === 'sent') event.sentAt = now
      if (settled.status === 'failed') event.leftQueue = true
    }
  }

  /**
   * Per-user order, as the sent sequence shows it: an event is delivered only after every event
   * of its user accepted before it for the same destination, and every registration accepted
   * before it, was delivered, or goes with it, unless that earlier event failed or was discarded
   * on the way (a person may resend it later).
   */
  private assertNothingOlderUnsent(event: ModelEvent, batch: number[]): void {
    const overtaken = this.events.find(
      (older) =>
        older.destination === event.destination &&
        older.seq < event.seq &&
        (older.userKey === event.userKey || older.kind === 'device') &&
        !older.leftQueue &&
        older.status !== 'sent' &&
        !batch.includes(older.id)
    )
    if (overtaken)
      throw new Error(
        `event #${event.id} of ${event.userKey} delivered before the older #${overtaken.id} of ${overtaken.userKey} (${overtaken.status})`
      )
  }

  /** A claim given back when its settlement could not be written: waiting again at `dueAt`. */
  release(ids: number[], dueAt: number): void {
    for (const id of ids) {
      const event = this.find(id)
      if (event?.status !== 'sending') continue
      event.status = 'retrying'
      event.leaseUntil = null
      event.nextAttemptAt = dueAt
    }
  }

  /** "Sync now": every event of the destination's queue waiting for later is due now. */
  makeDueNow(destination: string, now: number): number {
    const later = this.queue(destination).filter((event) => event.nextAttemptAt > now)
    for (const event of later) event.nextAttemptAt = now
    return later.length
  }

  /** A restart: nothing is in flight any more. */
  restart(): void {
    for (const event of this.events) {
      if (event.status !== 'sending') continue
      event.status = 'queued'
      event.leaseUntil = null
    }
  }

  /** Whether an edit is allowed; `true` when it changed the payload. */
  edit(id: number, payload: string, userKey: string | null): 'refused' | boolean {
    const event = this.find(id)
    if (!event || !(APPLIES_TO.edit as readonly Status[]).includes(event.status)) return 'refused'
    if (event.payload === payload) return false
    event.payload = payload
    event.userKey = userKey
    return true
  }

  resend(ids: number[], now: number): BulkResult {
    return this.bulk(ids, APPLIES_TO.resend, (event) => {
      event.status = 'queued'
      event.nextAttemptAt = now
      event.leaseUntil = null
      event.discardedAt = null
    })
  }

  discard(ids: number[], now: number): BulkResult {
    return this.bulk(ids, APPLIES_TO.discard, (event) => {
      event.status = 'discarded'
      event.leaseUntil = null
      event.discardedAt = now
      event.leftQueue = true
    })
  }

  private bulk(ids: number[], from: readonly Status[], change: (event: ModelEvent) => void): BulkResult {
    const result: BulkResult = { changed: [], skipped: [], destinations: [], changedByDestination: {} }
    for (const id of ids) {
      const event = this.find(id)
      if (!event || !from.includes(event.status)) {
        result.skipped.push(id)
        continue
      }
      change(event)
      result.changed.push(id)
      if (!result.destinations.includes(event.destination)) result.destinations.push(event.destination)
      result.changedByDestination[event.destination] =
        (result.changedByDestination[event.destination] ?? 0) + 1
    }
    return result
  }

  /**
   * Takes the events a prune deleted. Fails when any of them was not finished before the cutoff,
   * when older finished events were left for younger ones, or when the count is not what a chunk
   * of `max` must take.
   */
  prune(cutoff: number, max: number, deletedIds: number[]): void {
    // The newest event is never pruned, so its id is never given to another event.
    const newest = Math.max(...this.events.map((event) => event.id))
    const expired = (status: Status, at: (event: ModelEvent) => number | null) =>
      this.events.filter(
        (event) => event.status === status && (at(event) as number) < cutoff && event.id !== newest
      )
    const sent = expired('sent', (event) => event.sentAt)
    const discarded = expired('discarded', (event) => event.discardedAt)
    const sentTaken = Math.min(max, sent.length)
    const expectedCount = sentTaken + Math.min(max - sentTaken, discarded.length)
    if (deletedIds.length !== expectedCount)
      throw new Error(`prune deleted ${deletedIds.length} events, expected ${expectedCount}`)
    for (const id of deletedIds) {
      const event = this.find(id)
      if (!event || (!sent.includes(event) && !discarded.includes(event)))
        throw new Error(
          `prune deleted #${id}, which was ${event?.status ?? 'unknown'}: an acknowledged event lost`
        )
    }
    assertOldestFirst(sent, deletedIds, (event) => event.sentAt as number)
    assertOldestFirst(discarded, deletedIds, (event) => event.discardedAt as number)
    this.events = this.events.filter((event) => !deletedIds.includes(event.id))
  }
}

type Call = Pick<RequestEvent, 'kind' | 'text' | 'upstreamParams'>

/** Whether `event` may go in the request `head` starts: same kind and parameters, of a kind that batches. */
function sameRequest(head: ModelEvent, event: ModelEvent, batches: (kind: EventKind) => boolean): boolean {
  return event.kind === head.kind && event.upstreamParams === head.upstreamParams && batches(event.kind)
}

/** A repeated Idempotency-Key is the same call only with the same kind, text and request parameters. */
function sameCall(earlier: Call, event: Call): boolean {
  return (
    earlier.kind === event.kind &&
    earlier.text === event.text &&
    earlier.upstreamParams === event.upstreamParams
  )
}

/** When an event of the queue is due: a leased one when its lease expires. */
function dueAt(event: ModelEvent): number {
  return event.status === 'sending' ? (event.leaseUntil as number) : event.nextAttemptAt
}

function assertOldestFirst(
  candidates: ModelEvent[],
  deletedIds: number[],
  at: (event: ModelEvent) => number
) {
  const deleted = candidates.filter((event) => deletedIds.includes(event.id))
  const kept = candidates.filter((event) => !deletedIds.includes(event.id))
  const newestDeleted = Math.max(...deleted.map(at))
  const oldestKept = Math.min(...kept.map(at))
  if (newestDeleted > oldestKept)
    throw new Error(
      `prune deleted an event finished at ${newestDeleted} before one finished at ${oldestKept}`
    )
}
