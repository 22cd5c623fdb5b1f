import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { BulkActionProgress, EventStatus } from '../../src/shared/model'
import { openStore, type Store } from '../../src/main/store'
import { BULK_CHUNK_IDS } from '../../src/main/store/bulk-actions'
import { createBulkJobs, UNDO_WINDOW_MS, type BulkJobs } from '../../src/main/admin/bulk-jobs'
import { eventually, tempDir } from '../support/temp'
import { newEvent } from '../support/outbox-events'

describe('bulk actions by filter', () => {
  let dir: ReturnType<typeof tempDir>
  let store: Store
  let jobs: BulkJobs
  let now: number
  let changedCalls: string[][]

  beforeEach(() => {
    dir = tempDir()
    store = openStore(`${dir.path}/outbox.sqlite`)
    now = 1_000_000
    changedCalls = []
    jobs = createBulkJobs({
      bulk: store.bulk,
      now: () => now,
      changed: (destinations) => changedCalls.push(destinations)
    })
  })
  afterEach(() => {
    store.close()
    dir.remove()
  })

  /** Stores `n` events, one request each, for `destination`; their ids in order. */
  function store_(
    n: number,
    prefix: string,
    destination = 'whisperr',
    payload?: (i: number) => string
  ): number[] {
    const events = Array.from({ length: n }, (_, i) =>
      newEvent(`${prefix}-${i}`, { destination, ...(payload ? { payload: payload(i) } : {}) })
    )
    store.outbox.enqueueEvents([events], now)
    const ids = store.db
      .prepare(`SELECT id FROM outbox WHERE message_id LIKE ? ORDER BY id`)
      .pluck()
      .all(`${prefix}-%`) as number[]
    return ids
  }
  const statusOf = (id: number) =>
    store.db.prepare(`SELECT status FROM outbox WHERE id = ?`).pluck().get(id) as EventStatus | undefined
  const setStatus = (id: number, status: EventStatus) =>
    store.db.prepare(`UPDATE outbox SET status = ? WHERE id = ?`).run(status, id)
  const actionsOf = (action: string) =>
    store.db
      .prepare(`SELECT event_id AS id, actor, before, after FROM user_actions WHERE action = ? ORDER BY id`)
      .all(action) as {
      id: number
      actor: string
      before: string
      after: string
    }[]
  const finished = (id: number) =>
    eventually(() => {
      const progress = jobs.get(id)
      expect(progress.state).not.toBe('running')
      return progress
    })

  it('discards exactly the events the filter matches up to the confirmed id, a chunk per transaction, each recorded', async () => {
    const mine = store_(1_200, 'mine')
    const others = store_(30, 'other', 'second')
    const delivered = mine.slice(0, 5)
    for (const id of delivered) setStatus(id, 'sent')
    const throughId = store.bulk.newestId()

    const started = jobs.start(
      { action: 'discard', filter: { destination: 'whisperr' }, throughId, expected: 1_195 },
      'Ana'
    )
    expect(started).toMatchObject({ state: 'running', changed: 0, expected: 1_195 })
    // Stored after the confirmation, while the action runs: never swept in.
    const late = store_(20, 'late')
    const done = await finished(started.id)

    expect(done).toMatchObject({ state: 'done', changed: 1_195, undone: false, error: null })
    expect(done.undoableUntil).toBe(new Date(now + UNDO_WINDOW_MS).toISOString())
    const discarded = actionsOf('discard')
    expect(discarded.map((row) => row.id)).toEqual(mine.slice(5))
    expect(discarded.every((row) => row.actor === 'Ana' && row.after === 'discarded')).toBe(true)
    for (const id of [...delivered, ...others, ...late]) expect(statusOf(id)).not.toBe('discarded')
    // A chunk reads at most BULK_CHUNK_IDS ids: each that changed events told the UI once.
    expect(changedCalls.length).toBe(Math.ceil(1_230 / BULK_CHUNK_IDS))
    expect(changedCalls.every((destinations) => destinations.join() === 'whisperr')).toBe(true)
  })

  it('matches a search by reading each event, exactly as the list does', async () => {
    const ids = store_(40, 'searched', 'whisperr', (i) =>
      JSON.stringify({ event_type: 'x', properties: { plan: i % 4 === 0 ? 'Platinum' : 'gold' } })
    )
    const done = await finished(
      jobs.start(
        { action: 'discard', filter: { search: 'platinum' }, throughId: store.bulk.newestId(), expected: 10 },
        'Ana'
      ).id
    )
    expect(done.changed).toBe(10)
    expect(actionsOf('discard').map((row) => row.id)).toEqual(ids.filter((_, i) => i % 4 === 0))
  })

  it('resends the failed and discarded events a filter matches and leaves the rest', async () => {
    const [failed, discarded, queued] = store_(3, 'r')
    setStatus(failed!, 'failed')
    store.corrections.discardEvents([discarded!], { actor: 'x', at: 1 })
    const done = await finished(
      jobs.start({ action: 'resend', filter: {}, throughId: store.bulk.newestId(), expected: 2 }, 'Ana').id
    )
    expect(done).toMatchObject({ state: 'done', changed: 2, undoableUntil: null })
    expect(actionsOf('resend').map((row) => [row.id, row.before])).toEqual([
      [failed, 'failed'],
      [discarded, 'discarded']
    ])
    expect(statusOf(queued!)).toBe('queued')
    await expect(jobs.undo(done.id, 'Ana')).rejects.toThrow(/only a discard can be undone/)
  })

  it('undoes a discard: each event back to its status before, recorded; events changed since left alone', async () => {
    const ids = store_(8, 'u')
    const [failed, retrying, resentSince, editedSince, prunedSince] = ids
    setStatus(failed!, 'failed')
    setStatus(retrying!, 'retrying')
    const done = await finished(
      jobs.start({ action: 'discard', filter: {}, throughId: store.bulk.newestId(), expected: 8 }, 'Ana').id
    )
    expect(done.changed).toBe(8)

    store.corrections.resendEvents([resentSince!], { actor: 'Bo', at: now })
    store.corrections.editPayload(
      editedSince!,
      { payload: '{"e":1}', name: 'e', userKey: null, occurredAt: null },
      { actor: 'Bo', at: now }
    )
    store.db.prepare(`DELETE FROM outbox WHERE id = ?`).run(prunedSince)

    const outcome = await jobs.undo(done.id, 'Cy')
    expect(outcome).toEqual({ restored: 5, leftAlone: 3 })
    expect(statusOf(failed!)).toBe('failed')
    expect(statusOf(retrying!)).toBe('retrying')
    expect(statusOf(resentSince!)).toBe('queued')
    expect(statusOf(editedSince!)).toBe('discarded')
    for (const id of ids.slice(5)) expect(statusOf(id)).toBe('queued')
    const undone = actionsOf('undo_discard')
    expect(undone.map((row) => row.id)).toEqual([failed, retrying, ...ids.slice(5)])
    expect(undone[0]).toMatchObject({ actor: 'Cy', before: 'discarded', after: 'failed' })
    expect(store.db.prepare(`SELECT discarded_at FROM outbox WHERE id = ?`).pluck().get(failed)).toBeNull()

    const after: BulkActionProgress = jobs.get(done.id)
    expect(after).toMatchObject({ undone: true, undoableUntil: null })
    await expect(jobs.undo(done.id, 'Cy')).rejects.toThrow(/can no longer be undone/)
  })

  it('offers an undo for ten minutes only', async () => {
    store_(3, 't')
    const done = await finished(
      jobs.start({ action: 'discard', filter: {}, throughId: store.bulk.newestId(), expected: 3 }, 'Ana').id
    )
    now += UNDO_WINDOW_MS
    expect(jobs.get(done.id).undoableUntil).toBeNull()
    await expect(jobs.undo(done.id, 'Ana')).rejects.toThrow(/can no longer be undone/)
    expect(actionsOf('undo_discard')).toEqual([])
  })
})
