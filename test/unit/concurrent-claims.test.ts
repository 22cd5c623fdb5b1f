import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { EventKind } from '@shared/model'
import {
  openStore,
  type BatchClaim,
  type ClaimOptions,
  type NewEvent,
  type Store
} from '../../src/main/store'
import { CLAIM_SQL } from '../../src/main/store/outbox'
import { tempDir } from '../support/temp'

/**
 * The claim that lets several requests be in flight: each user's events keep their accepted
 * order, other users' events go meanwhile (the model-based test checks the same rule on random
 * sequences; these are its cases in words).
 */

const LEASE_MS = 1_000
const tracksBatch = (kind: EventKind) => kind === 'track'

function event(messageId: string, userKey: string | null, kind: EventKind = 'track'): NewEvent {
  return {
    destination: 'whisperr',
    messageId,
    kind,
    name: kind,
    userKey,
    occurredAt: null,
    payload: `{"m":"${messageId}"}`,
    upstreamParams: null
  }
}

describe('claims with several requests in flight', () => {
  let dir: ReturnType<typeof tempDir>
  let store: Store

  beforeEach(() => {
    dir = tempDir()
    store = openStore(`${dir.path}/outbox.sqlite`)
  })
  afterEach(() => {
    store.close()
    dir.remove()
  })

  const enqueue = (...events: NewEvent[]) => store.outbox.enqueueEvents([events], 0)
  const claim = (now: number, limit: number, options: ClaimOptions = {}): BatchClaim =>
    store.outbox.claimDueBatch('whisperr', now, limit, LEASE_MS, tracksBatch, options)
  const taken = (result: BatchClaim) =>
    result.kind === 'claimed' ? result.events.map((claimed) => claimed.messageId) : result
  const retryLater = (messageId: string, at: number) => {
    const [claimed] = (claim(1, 1) as { events: { id: number; messageId: string }[] }).events
    expect(claimed?.messageId).toBe(messageId)
    store.outbox.releaseClaim([claimed!.id], at, 'retried later')
  }

  it('takes the oldest events of every user with nothing in flight, in one batch of mixed users', () => {
    enqueue(event('a1', 'ana'), event('b1', 'ben'), event('a2', 'ana'), event('c1', 'chi'))
    expect(taken(claim(1, 2))).toEqual(['a1', 'b1'])
    // Ana and Ben are in flight: only Chi may go, and Ana's second event waits for her first.
    expect(taken(claim(1, 10))).toEqual(['c1'])
    expect(claim(1, 10)).toEqual({ kind: 'waiting', dueAt: 1 + LEASE_MS })
  })

  it("holds back only its own user when a user's older event waits for its backoff", () => {
    enqueue(event('a1', 'ana'), event('a2', 'ana'), event('b1', 'ben'))
    retryLater('a1', 500)
    expect(taken(claim(2, 10))).toEqual(['b1'])
    expect(claim(3, 10)).toEqual({ kind: 'waiting', dueAt: 500 })
    expect(taken(claim(500, 10))).toEqual(['a1', 'a2'])
  })

  it('keeps a user behind an older event of another kind the batch cannot take, and lets others pass it', () => {
    enqueue(event('a1', 'ana'), event('b1', 'ben', 'identify'), event('b2', 'ben'), event('c1', 'chi'))
    expect(taken(claim(1, 10))).toEqual(['a1', 'c1'])
    expect(taken(claim(1, 10))).toEqual(['b1'])
  })

  it('counts every event without a user key as one user', () => {
    enqueue(event('n1', null), event('n2', null), event('a1', 'ana'))
    expect(taken(claim(1, 1))).toEqual(['n1'])
    expect(taken(claim(1, 10))).toEqual(['a1'])
  })

  it('keeps the whole queue in order when asked to, as one request in flight needs', () => {
    enqueue(event('a1', 'ana'), event('b1', 'ben'), event('a2', 'ana'))
    retryLater('a1', 500)
    const wholeQueue = { order: 'queue' } as const
    expect(claim(2, 10, wholeQueue)).toEqual({ kind: 'waiting', dueAt: 500 })
    expect(taken(claim(500, 10, wholeQueue))).toEqual(['a1', 'b1', 'a2'])
  })

  it('sends nothing accepted after a registration before it, whether it waits or is in flight', () => {
    enqueue(event('a1', 'ana'), event('d1', null, 'device'), event('b1', 'ben'))
    expect(taken(claim(1, 10))).toEqual(['a1'])
    expect(taken(claim(1, 10))).toEqual(['d1'])
    expect(claim(1, 10)).toEqual({ kind: 'waiting', dueAt: 1 + LEASE_MS })
  })

  it('looks at most `window` waiting events past those in flight', () => {
    enqueue(event('a1', 'ana'), event('a2', 'ana'), event('a3', 'ana'), event('b1', 'ben'))
    expect(taken(claim(1, 1))).toEqual(['a1'])
    expect(claim(1, 10, { window: 2 })).toEqual({ kind: 'waiting', dueAt: 1 + LEASE_MS })
    expect(taken(claim(1, 10, { window: 3 }))).toEqual(['b1'])
  })

  it('reads the queue through outbox_pending and asks about leases through the indexes of leased rows', () => {
    const plan = (sql: string, params: unknown[]) =>
      (store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[])
        .map((step) => step.detail)
        .join('; ')
    expect(plan(CLAIM_SQL.waiting, ['whisperr', 1, 10])).toMatch(
      /USING INDEX outbox_pending \(destination=\?\)$/
    )
    expect(plan(CLAIM_SQL.userLeaseEnd, ['whisperr', 'ana', 1])).toMatch(
      /USING COVERING INDEX outbox_leased \(destination=\? AND user_key=\? AND lease_until>\?\)/
    )
    expect(plan(CLAIM_SQL.firstLeaseEnd, ['whisperr', 1])).toMatch(/USING COVERING INDEX outbox_leased/)
    expect(plan(CLAIM_SQL.firstRegistrationInFlight, ['whisperr', 1])).toMatch(
      /USING INDEX outbox_leased_registrations/
    )
  })
})
