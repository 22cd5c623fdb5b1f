import { describe, expect, it } from 'vitest'
import { createGroupCommitWriter } from '../../src/main/ingest/group-commit'
import { useTempStore } from '../support/temp-store'
import { newEvent } from '../support/outbox-events'

const batchable = () => true
const LEASE_MS = 1_000

describe('outbox leases', () => {
  const temp = useTempStore()

  const claim = (now: number, limit = 1) =>
    temp.store.outbox.claimDueBatch('whisperr', now, limit, LEASE_MS, batchable)
  const ids = (result: ReturnType<typeof claim>) =>
    result.kind === 'claimed' ? result.events.map((e) => e.id) : []
  const status = (id: number) =>
    (temp.store.db.prepare('SELECT status FROM outbox WHERE id = ?').get(id) as { status: string }).status

  it('never lets a later event of the queue overtake one whose lease still runs', () => {
    temp.store.outbox.enqueueEvents([[newEvent('a'), newEvent('b')]], 0)
    const [first] = ids(claim(1))
    expect(claim(2)).toEqual({ kind: 'waiting', dueAt: 1 + LEASE_MS })
    expect(status(first!)).toBe('sending')
  })

  it('treats an expired lease as waiting: the same events are claimed again, in order', () => {
    temp.store.outbox.enqueueEvents([[newEvent('a'), newEvent('b')]], 0)
    const first = ids(claim(1, 2))
    expect(first).toHaveLength(2)
    expect(ids(claim(2 + LEASE_MS, 2))).toEqual(first)
  })

  it('gives a released claim back to the queue, due later, with the reason', () => {
    temp.store.outbox.enqueueEvents([[newEvent('a')]], 0)
    const [id] = ids(claim(1))
    temp.store.outbox.releaseClaim([id!], 500, 'not sent: boom; retried later')
    expect(claim(10)).toEqual({ kind: 'waiting', dueAt: 500 })
    const row = temp.store.db.prepare('SELECT status, last_error AS error FROM outbox WHERE id = ?').get(id)
    expect(row).toEqual({ status: 'retrying', error: 'not sent: boom; retried later' })
    expect(ids(claim(500))).toEqual([id])
  })

  it('reads the backlog from the ledger the writes keep, so a rolled-back commit is never counted', () => {
    const writer = createGroupCommitWriter({
      commit: temp.store.outbox.enqueueEvents,
      backlog: temp.store.outbox.backlog,
      limits: { maxEvents: 3, maxBytes: 1_000_000 },
      now: () => 5,
      onCommitted: () => {}
    })
    // The second request breaks its transaction (a NOT NULL column): the group is rolled back
    // and committed again one request at a time.
    const broken = newEvent('x', { name: null as unknown as string })
    const results = Promise.allSettled([writer.write([newEvent('a'), newEvent('b')]), writer.write([broken])])
    return results.then(async ([good, bad]) => {
      expect(good).toMatchObject({ status: 'fulfilled', value: { inserted: 2 } })
      expect(bad?.status).toBe('rejected')
      const real = temp.store.db
        .prepare(`SELECT count(*) AS events, coalesce(sum(bytes), 0) AS bytes FROM outbox`)
        .get()
      expect(temp.store.outbox.backlog()).toEqual(real)
      // Room for one more event: the bound counts what is stored, nothing twice.
      await expect(writer.write([newEvent('c')])).resolves.toMatchObject({ inserted: 1 })
    })
  })

  it('keeps the backlog equal to a real count through edits, discards and resends', () => {
    temp.store.outbox.enqueueEvents([[newEvent('a'), newEvent('b')]], 0)
    const who = { actor: 't', at: 1 }
    const [a] = ids(claim(1))
    temp.store.outbox.releaseClaim([a!], 1, 'x')
    temp.store.corrections.editPayload(
      a!,
      { payload: '{"m":"a","longer":true}', name: 'n', userKey: null, occurredAt: null },
      who
    )
    temp.store.corrections.discardEvents([a!], who)
    const real = () =>
      temp.store.db
        .prepare(
          `SELECT count(*) AS events, coalesce(sum(bytes), 0) AS bytes FROM outbox WHERE status IN ('queued', 'retrying', 'sending', 'failed')`
        )
        .get()
    expect(temp.store.outbox.backlog()).toEqual(real())
    temp.store.corrections.resendEvents([a!], who)
    expect(temp.store.outbox.backlog()).toEqual(real())
    expect(temp.store.outbox.backlog().events).toBe(2)
  })
})
