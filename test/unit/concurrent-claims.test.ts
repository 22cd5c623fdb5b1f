import { describe, expect, it } from 'vitest'
import type { EventKind } from '@shared/model'
import type { BatchClaim, ClaimOptions, NewEvent } from '../../src/main/store'
import { laneOf } from '../../src/main/store/lanes'
import { CLAIM_SQL } from '../../src/main/store/outbox'
import { newEvent } from '../support/outbox-events'
import { useTempStore } from '../support/temp-store'

/**
 * The claim that lets several requests be in flight: each user's events keep their accepted
 * order, other users' events go meanwhile, a batch from lanes with nothing in flight (the
 * model-based test checks the same rule on random sequences; these are its cases in words).
 * Ana, Ben and Chi have lanes of their own; u1 and u85 share one.
 */

const LEASE_MS = 1_000
const tracksBatch = (kind: EventKind) => kind === 'track'

function event(messageId: string, userKey: string | null, kind: EventKind = 'track'): NewEvent {
  return newEvent(messageId, { kind, name: kind, userKey, occurredAt: null, payload: `{"m":"${messageId}"}` })
}

describe('claims with several requests in flight', () => {
  const temp = useTempStore()

  const enqueue = (...events: NewEvent[]) => temp.store.outbox.enqueueEvents([events], 0)
  const claim = (now: number, limit: number, options: ClaimOptions = {}): BatchClaim =>
    temp.store.outbox.claimDueBatch('whisperr', now, limit, LEASE_MS, tracksBatch, options)
  const taken = (result: BatchClaim) =>
    result.kind === 'claimed' ? result.events.map((claimed) => claimed.messageId) : result
  const retryLater = (messageId: string, at: number) => {
    const [claimed] = (claim(1, 1) as { events: { id: number; messageId: string }[] }).events
    expect(claimed?.messageId).toBe(messageId)
    temp.store.outbox.releaseClaim([claimed!.id], at, 'retried later')
  }

  it('fills a batch from one lane, its users in order, and leaves the other lanes to the next claims', () => {
    expect(laneOf('ana')).not.toBe(laneOf('ben'))
    enqueue(
      event('a1', 'ana'),
      event('b1', 'ben'),
      event('a2', 'ana'),
      event('b2', 'ben'),
      event('a3', 'ana')
    )
    expect(taken(claim(1, 2))).toEqual(['a1', 'a2'])
    // Ana's lane is in flight: her third event waits for the first two; Ben's lane may go.
    expect(taken(claim(1, 10))).toEqual(['b1', 'b2'])
    expect(claim(1, 10)).toEqual({ kind: 'waiting', dueAt: 1 + LEASE_MS })
  })

  it('goes on to the next lane while the batch has room, oldest lane first', () => {
    enqueue(event('b1', 'ben'), event('a1', 'ana'), event('c1', 'chi'), event('a2', 'ana'))
    expect(taken(claim(1, 10))).toEqual(['b1', 'a1', 'c1', 'a2'])
  })

  it('puts 32 batches of 500 in flight when 500 users are interleaved, each user in one of them, in order', () => {
    const users = Array.from({ length: 500 }, (_, n) => `user_${String(n).padStart(5, '0')}`)
    const perUser = 80
    const events = Array.from({ length: users.length * perUser }, (_, n) =>
      event(`m${n}`, users[n % users.length] as string)
    )
    for (let start = 0; start < events.length; start += 1_000) enqueue(...events.slice(start, start + 1_000))
    const sequenceOf = (messageId: string) => Number(messageId.slice(1))
    const batches: string[][] = []
    for (let request = 0; request < 32; request++) {
      const result = claim(1, 500)
      expect(result.kind, `claim ${request + 1} of 32`).toBe('claimed')
      batches.push(taken(result) as string[])
    }
    expect(batches.reduce((sum, batch) => sum + batch.length, 0)).toBeGreaterThan(32 * 400)
    const batchOfUser = new Map<string, number>()
    const claimedOfUser = new Map<string, number[]>()
    batches.forEach((batch, index) => {
      for (const messageId of batch) {
        const sequence = sequenceOf(messageId)
        const user = users[sequence % users.length] as string
        expect(batchOfUser.get(user) ?? index, `${user} in two requests at once`).toBe(index)
        batchOfUser.set(user, index)
        claimedOfUser.set(user, [...(claimedOfUser.get(user) ?? []), sequence])
      }
    })
    // Each user's claimed events are its oldest ones, in accepted order.
    for (const [user, sequences] of claimedOfUser) {
      const first = users.indexOf(user)
      expect(sequences).toEqual(sequences.map((_, k) => first + k * users.length))
    }
  })

  it('claims several batches at once as the same claims in a row would, and says why it stopped', () => {
    enqueue(event('a1', 'ana'), event('b1', 'ben'), event('a2', 'ana'), event('c1', 'chi'))
    const { batches, then } = temp.store.outbox.claimDueBatches('whisperr', 1, 5, 1, LEASE_MS, tracksBatch)
    expect(batches.map((batch) => batch.map((claimed) => claimed.messageId))).toEqual([
      ['a1'],
      ['b1'],
      ['c1']
    ])
    expect(then).toEqual({ kind: 'waiting', dueAt: 1 + LEASE_MS })
    expect(
      temp.store.outbox.claimDueBatches('whisperr', 2 + LEASE_MS, 1, 10, LEASE_MS, tracksBatch).then
    ).toBeNull()
  })

  it('holds back the users of a lane in flight, and no other lane', () => {
    expect(laneOf('u1')).toBe(laneOf('u85'))
    expect(laneOf('u2')).not.toBe(laneOf('u1'))
    enqueue(event('x1', 'u1'), event('y1', 'u85'), event('z1', 'u2'))
    expect(taken(claim(1, 1))).toEqual(['x1'])
    expect(taken(claim(1, 10))).toEqual(['z1'])
    expect(claim(1, 10)).toEqual({ kind: 'waiting', dueAt: 1 + LEASE_MS })
    // Once the leases expire, their events are due again, first in their lanes.
    expect(taken(claim(2 + LEASE_MS, 10))).toEqual(['x1', 'y1', 'z1'])
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

  it('looks at most `window` events of a lane, and starts another lane only while the batch is empty or below it', () => {
    enqueue(event('x1', 'u1'), event('x2', 'u1'), event('x3', 'u1'), event('y1', 'u85'), event('z1', 'u2'))
    retryLater('x1', 500)
    // x1 waits for its backoff, so u1 is held back; y1 shares the lane, beyond a window of 3.
    expect(taken(claim(2, 10, { window: 3 }))).toEqual(['z1'])
    expect(claim(2, 10, { window: 3 })).toEqual({ kind: 'waiting', dueAt: 500 })
    expect(taken(claim(2, 10, { window: 4 }))).toEqual(['y1'])

    // Two events read in Ana's lane: the batch does not start on Ben's.
    enqueue(event('a1', 'ana'), event('a2', 'ana'), event('b1', 'ben'))
    expect(taken(claim(600, 10, { window: 2 }))).toEqual(['a1', 'a2'])
    expect(taken(claim(600, 10, { window: 2 }))).toEqual(['b1'])
  })

  it('reads the lanes, each lane and registrations through their own indexes, and merges the lanes for the whole queue', () => {
    const plan = (sql: string, params: Record<string, unknown> | unknown[]) =>
      (temp.store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params) as { detail: string }[]).map(
        (step) => step.detail
      )
    const lanes = plan(CLAIM_SQL.lanes, { destination: 'whisperr', now: 1 })
    expect(lanes).toContain('SEARCH outbox USING INDEX outbox_lanes (destination=? AND lane=?)')
    expect(lanes).toContain(
      'SEARCH outbox USING COVERING INDEX outbox_leased_lanes (destination=? AND lane=? AND lease_until>?)'
    )
    const lane = { destination: 'whisperr', lane: 3, boundary: 10, window: 10 }
    expect(plan(CLAIM_SQL.lane, lane)).toEqual([
      'SEARCH outbox USING INDEX outbox_lanes (destination=? AND lane=? AND id<?)'
    ])
    const wholeQueue = plan(CLAIM_SQL.wholeQueue, { destination: 'whisperr', boundary: 10, window: 10 })
    expect(wholeQueue).toContain('MERGE (UNION ALL)')
    expect(wholeQueue.filter((step) => /TEMP B-TREE|SCAN outbox/.test(step))).toEqual([])
    expect(plan(CLAIM_SQL.firstRegistration, ['whisperr']).join('; ')).toMatch(
      /USING INDEX outbox_registrations \(destination=\?\)/
    )
  })
})
