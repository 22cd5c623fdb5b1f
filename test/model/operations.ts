import fc from 'fast-check'
import { LEASE_MS } from './outbox-model'

/**
 * The operations a run draws, as plain data so that a shrunk counterexample reads as a script.
 * A pick chooses an event when the operation runs, by index among those stored: among the ones
 * the action applies to, among all, or an id no event has.
 */

export const DESTINATIONS = ['whisperr', 'flywheel'] as const
export type DestinationId = (typeof DESTINATIONS)[number]

export const RETENTION_MS = 7 * 86_400_000
const BACKOFF_MAX_MS = 60_000

/**
 * The users of a run. Lanes (src/main/store/lanes.ts) are shared: u1 and u85 have one lane,
 * u37 has the lane of events without a user key, u2 has its own (the model test checks this).
 */
export const USERS = ['u1', 'u85', 'u2', 'u37', null] as const

export interface EventSpec {
  /** null: an event without a user key (all such events are one user). */
  user: (typeof USERS)[number]
  /** `device`: a registration, which goes before everything accepted after it. */
  kind: 'track' | 'identify' | 'device'
  /** A client's own message id (Whisperr's `$message_id`), from a small pool so that keys repeat; null (one in three): none. */
  clientKey: string | null
  /** Which of two texts the event carries: a repeated key with the same text, or another one. */
  variant: 0 | 1
  upstreamParams: string | null
  /** Outpost changed the text it sends (a Weespin device id): the text as received is kept apart. */
  remapped: boolean
}

export interface RequestSpec {
  destination: DestinationId
  /** The request's Idempotency-Key: its i-th event is stored under `key_{key}#{i}`. */
  idempotencyKey: string | null
  events: EventSpec[]
  /** The index (modulo the request's size) of an event whose NOT NULL name is null. */
  poisonAt: number | null
}

export interface Pick {
  among: 'applicable' | 'any' | 'unknown'
  index: number
}

export type Outcome = 'sent' | 'retrying' | 'failed' | 'queued' | 'throws' | 'throwsTwice'

export type Operation =
  /** Requests arriving together, committed as one group; the n-th insert may fail once. */
  | { op: 'ingest'; requests: RequestSpec[]; failAtInsert: number | null }
  /**
   * `count` claims in a row (the worker's free places), keeping order per user or for the whole
   * queue, looking at `window` events (null: the store's own window).
   */
  | {
      op: 'claim'
      destination: DestinationId
      count: number
      limit: number
      order: 'user' | 'queue'
      window: number | null
    }
  /**
   * The answer to one of the requests in flight (`which`, modulo how many there are, oldest
   * first); `throws`: its settlement cannot be written.
   */
  | { op: 'settle'; which: number; outcome: Outcome; delayMs: number }
  | { op: 'advance'; ms: number }
  /** A person pressed "sync now" on the destination. */
  | { op: 'syncNow'; destination: DestinationId }
  /** An edit to a payload of `size` padding characters (two bytes each), which may name another user. */
  | { op: 'edit'; pick: Pick; size: number; user: EventSpec['user'] | 'same' }
  | { op: 'resend'; picks: Pick[] }
  | { op: 'discard'; picks: Pick[] }
  | { op: 'prune'; retentionMs: number; chunk: number }
  | { op: 'restart' }

const destination = fc.constantFrom(...DESTINATIONS)

/** `arbitrary` one time in `oneIn`, else null. */
function rarely<T>(arbitrary: fc.Arbitrary<T>, oneIn: number): fc.Arbitrary<T | null> {
  return fc.oneof({ weight: oneIn - 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary })
}

const user = fc.constantFrom('u1', 'u1', 'u85', 'u2', 'u2', 'u37', null)

const eventSpec: fc.Arbitrary<EventSpec> = fc.record({
  user,
  kind: fc.constantFrom('track', 'track', 'track', 'track', 'track', 'identify', 'identify', 'device'),
  clientKey: fc.option(fc.constantFrom('m0', 'm1', 'm2', 'm3', 'm4'), { freq: 3 }),
  variant: fc.oneof({ weight: 3, arbitrary: fc.constant(0 as const) }, fc.constant(1 as const)),
  upstreamParams: rarely(fc.constant('{"project":"p1"}'), 4),
  remapped: fc.oneof({ weight: 7, arbitrary: fc.constant(false) }, fc.constant(true))
})

const requestSpec: fc.Arbitrary<RequestSpec> = fc.record({
  destination,
  idempotencyKey: rarely(fc.constantFrom('A', 'B'), 3),
  events: fc.array(eventSpec, { minLength: 1, maxLength: 5 }),
  poisonAt: rarely(fc.nat(4), 8)
})

const ingest = fc.record({
  op: fc.constant('ingest' as const),
  requests: fc.array(requestSpec, { minLength: 1, maxLength: 3 }),
  failAtInsert: rarely(fc.integer({ min: 1, max: 8 }), 4)
})

const claim = fc.record({
  op: fc.constant('claim' as const),
  destination,
  count: fc.constantFrom(1, 1, 2, 3),
  limit: fc.integer({ min: 1, max: 4 }),
  order: fc.constantFrom('user', 'user', 'user', 'queue'),
  window: rarely(fc.integer({ min: 1, max: 4 }), 4)
})

const settle = fc.record({
  op: fc.constant('settle' as const),
  which: fc.nat(3),
  outcome: fc.constantFrom<Outcome>(
    'failed',
    'sent',
    'sent',
    'sent',
    'retrying',
    'retrying',
    'failed',
    'queued',
    'throws',
    'throwsTwice'
  ),
  delayMs: fc.integer({ min: 1, max: BACKOFF_MAX_MS })
})

/** Mostly the edges that matter: a lease's end (exactly, and just past), a backoff, retention. */
const advance = fc.record({
  op: fc.constant('advance' as const),
  ms: fc.oneof(
    fc.constantFrom(LEASE_MS, LEASE_MS + 1, BACKOFF_MAX_MS, RETENTION_MS + 1),
    fc.integer({ min: 1, max: 2 * BACKOFF_MAX_MS })
  )
})

const pick: fc.Arbitrary<Pick> = fc.record({
  among: fc.constantFrom('applicable', 'applicable', 'applicable', 'any', 'unknown'),
  index: fc.nat()
})
const syncNow = fc.record({ op: fc.constant('syncNow' as const), destination })
const edit = fc.record({
  op: fc.constant('edit' as const),
  pick,
  size: fc.nat(12),
  user: fc.oneof({ weight: 2, arbitrary: fc.constant('same' as const) }, user)
})
const picks = fc.array(pick, { minLength: 1, maxLength: 3 })
const resend = fc.record({ op: fc.constant('resend' as const), picks })
const discard = fc.record({ op: fc.constant('discard' as const), picks })

const prune = fc.record({
  op: fc.constant('prune' as const),
  retentionMs: fc.constantFrom(0, BACKOFF_MAX_MS, RETENTION_MS),
  chunk: fc.integer({ min: 1, max: 3 })
})

const restart = fc.constant({ op: 'restart' as const })

export const operation: fc.Arbitrary<Operation> = fc.oneof(
  { weight: 4, arbitrary: ingest },
  { weight: 5, arbitrary: claim },
  { weight: 5, arbitrary: settle },
  { weight: 3, arbitrary: advance },
  { weight: 1, arbitrary: syncNow },
  { weight: 1, arbitrary: edit },
  { weight: 2, arbitrary: resend },
  { weight: 2, arbitrary: discard },
  { weight: 2, arbitrary: prune },
  { weight: 1, arbitrary: restart }
)
