import { statSync } from 'node:fs'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { startPruning } from '../../src/main/maintenance/pruning'
import {
  openStore,
  type AttemptRecord,
  type NewEvent,
  type Retention,
  type Store
} from '../../src/main/store'
import { WAL_SIZE_LIMIT_BYTES } from '../../src/main/store/database'
import { createRetention } from '../../src/main/store/retention'
import { newEvent } from '../support/outbox-events'
import { tempDir } from '../support/temp'

function event(messageId: string, payload = '{}'): NewEvent {
  return newEvent(messageId, { payload })
}

const attempt: AttemptRecord = {
  destination: 'whisperr',
  startedAt: 1,
  durationMs: 1,
  status: 202,
  outcome: 'ok',
  reason: 'accepted',
  request: 'POST',
  responseBody: null
}

describe('retention', () => {
  let dir: ReturnType<typeof tempDir>
  let store: Store
  const file = () => `${dir.path}/outbox.sqlite`
  const count = (table: 'outbox' | 'attempts' | 'attempt_events') =>
    (store.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n
  const attemptIds = () => store.db.prepare('SELECT id FROM attempts ORDER BY id').pluck().all()

  /** Claims the next `limit` waiting events at `now`; returns their ids. */
  const claim = (now: number, limit: number): number[] => {
    const batch = store.outbox.claimDueBatch('whisperr', now, limit, 1_000, () => true)
    if (batch.kind !== 'claimed') throw new Error(`expected a claim, got ${batch.kind}`)
    return batch.events.map((e) => e.id)
  }

  beforeEach(() => {
    dir = tempDir()
    store = openStore(file())
  })
  afterEach(() => {
    store.close()
    dir.remove()
  })

  it('deletes at most the chunk size a call, oldest first, using indexes only', () => {
    store.outbox.enqueueEvents([Array.from({ length: 1_200 }, (_, i) => event(`m${i}`))], 0)
    for (const sentAt of [10, 11, 12]) {
      store.outbox.settleAttempt(
        attempt,
        [{ ids: claim(sentAt, 500), settlement: { status: 'sent' } }],
        sentAt
      )
    }
    const sentAtCounts = () => store.db.prepare(`SELECT sent_at, count(*) FROM outbox GROUP BY 1`).raw().all()
    expect(sentAtCounts()).toEqual([
      [10, 500],
      [11, 500],
      [12, 200]
    ])

    expect(store.retention.pruneExpired(12, 300)).toBe(300)
    expect(attemptIds()).toEqual([1, 2, 3])
    expect(store.retention.pruneExpired(12, 300)).toBe(300)
    // The first request's last event went in this chunk, and its attempt with it.
    expect(attemptIds()).toEqual([2, 3])
    expect(store.retention.pruneExpired(12, 300)).toBe(300)
    expect(store.retention.pruneExpired(12, 300)).toBe(100)
    expect(store.retention.pruneExpired(12, 300)).toBe(0)
    expect(sentAtCounts()).toEqual([[12, 200]])
    expect(attemptIds()).toEqual([3])

    const prepared: string[] = []
    const prepare = store.db.prepare.bind(store.db)
    vi.spyOn(store.db, 'prepare').mockImplementation((sql: string) => {
      prepared.push(sql)
      return prepare(sql)
    })
    createRetention(store.db)
    vi.mocked(store.db.prepare).mockRestore()
    expect(prepared.length).toBeGreaterThanOrEqual(4)
    for (const sql of prepared) {
      const plan = (
        store.db.prepare(`EXPLAIN QUERY PLAN ${sql.replace(/\?|@id/g, '1')}`).all() as { detail: string }[]
      ).map((row) => row.detail)
      expect(plan.join(' | '), sql).not.toMatch(/\bSCAN\b/)
      expect(plan.join(' | '), sql).not.toMatch(/TEMP B-TREE/)
    }
  })

  it('deletes an attempt with the last event it carried, and keeps it while another event links it', () => {
    // c, the newest event, is never pruned (its id is the one SQLite counts from).
    store.outbox.enqueueEvents([[event('a'), event('b'), event('c')]], 0)
    const [a] = claim(1, 1)
    store.outbox.settleAttempt(
      { ...attempt, status: 503, outcome: 'retry' },
      [{ ids: [a!], settlement: { status: 'retrying', nextAttemptAt: 2, error: 'down' } }],
      1
    )
    const [, b] = claim(2, 2)
    store.outbox.settleAttempt(
      { ...attempt, startedAt: 2 },
      [
        { ids: [a!], settlement: { status: 'sent' } },
        { ids: [b!], settlement: { status: 'failed', error: 'refused' } }
      ],
      3
    )
    const [, both] = attemptIds()

    expect(store.retention.pruneExpired(4, 500)).toBe(1)
    expect(attemptIds()).toEqual([both])
    expect(store.queries.getEvent(b!)?.attemptsLog.map((log) => log.id)).toEqual([both])

    store.corrections.discardEvents([b!], { actor: 'test', at: 10 })
    expect(store.retention.pruneExpired(10, 500)).toBe(0)
    expect(attemptIds()).toEqual([both])
    expect(store.retention.pruneExpired(11, 500)).toBe(1)
    expect([count('outbox'), count('attempts'), count('attempt_events')]).toEqual([1, 0, 0])
  })

  it('never prunes the newest event, so no id is given twice, and prunes the history of an event with it', () => {
    store.outbox.enqueueEvents([[event('a'), event('b')]], 0)
    const who = { actor: 'test', at: 1 }
    store.corrections.discardEvents([1, 2], who)
    expect(store.retention.pruneExpired(5, 500)).toBe(1)
    expect(store.db.prepare('SELECT event_id FROM user_actions').pluck().all()).toEqual([2])
    store.outbox.enqueueEvents([[event('c')]], 6)
    expect(store.db.prepare('SELECT id FROM outbox ORDER BY id').pluck().all()).toEqual([2, 3])
  })

  it('trims the WAL file back after a burst', () => {
    expect(store.db.pragma('journal_size_limit', { simple: true })).toBe(WAL_SIZE_LIMIT_BYTES)
    const payload = JSON.stringify({ filler: 'x'.repeat(1_000) })
    store.outbox.enqueueEvents([Array.from({ length: 20_000 }, (_, i) => event(`m${i}`, payload))], 0)
    expect(statSync(`${file()}-wal`).size).toBeGreaterThan(2 * WAL_SIZE_LIMIT_BYTES)
    // The burst's commit checkpointed it; the next commit writes the WAL from its start and trims it.
    store.outbox.enqueueEvents([[event('after')]], 1)
    expect(statSync(`${file()}-wal`).size).toBeLessThanOrEqual(WAL_SIZE_LIMIT_BYTES)
  })
})

describe('pruning scheduler', () => {
  const nextTurn = () => new Promise((resolve) => setImmediate(resolve))

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('runs chunks each turn while they come back full, rests once one comes back short', async () => {
    const chunks = [3, 3, 1]
    const calls: [number, number][] = []
    const retention: Retention = {
      pruneExpired(cutoff, maxEvents) {
        calls.push([cutoff, maxEvents])
        return chunks.shift() ?? 0
      }
    }
    const onPruned = vi.fn()
    const pruning = startPruning({
      retention,
      retentionMs: 1_000,
      now: () => 5_000,
      onPruned,
      chunkEvents: 3,
      idleMs: 2_000
    })
    expect(calls).toHaveLength(0)
    await nextTurn()
    expect(calls).toEqual([[4_000, 3]])
    // Behind: two chunks this turn, the second short.
    await nextTurn()
    expect(calls).toHaveLength(3)
    await nextTurn()
    expect(calls).toHaveLength(3) // the short chunk: resting
    expect(onPruned).toHaveBeenCalledTimes(2)
    vi.advanceTimersByTime(1_999)
    expect(calls).toHaveLength(3)
    vi.advanceTimersByTime(1)
    expect(calls).toHaveLength(4)
    expect(onPruned).toHaveBeenCalledTimes(2) // nothing was due
    pruning.stop()
    vi.advanceTimersByTime(10_000)
    await nextTurn()
    expect(calls).toHaveLength(4)
  })

  it('doubles the chunks of a turn while it stays behind, up to its bound, and starts again at one after a rest', async () => {
    let due = 40
    const perTurn: number[] = []
    let calls = 0
    const retention: Retention = {
      pruneExpired(_cutoff, maxEvents) {
        calls++
        const deleted = Math.min(due, maxEvents)
        due -= deleted
        return deleted
      }
    }
    const pruning = startPruning({
      retention,
      retentionMs: 0,
      now: () => 0,
      onPruned: () => undefined,
      chunkEvents: 2,
      idleMs: 1_000,
      maxChunksPerTurn: 4
    })
    const turn = async () => {
      const before = calls
      await nextTurn()
      perTurn.push(calls - before)
    }
    for (let i = 0; i < 7; i++) await turn()
    // 40 events in chunks of 2: 20 full chunks, then the 21st comes back empty and the pruner rests.
    expect(perTurn).toEqual([1, 2, 4, 4, 4, 4, 2])
    due = 6
    const beforeRest = calls
    vi.advanceTimersByTime(1_000)
    expect(calls - beforeRest).toBe(1)
    perTurn.length = 0
    for (let i = 0; i < 3; i++) await turn()
    expect(perTurn).toEqual([2, 1, 0])
    pruning.stop()
  })

  it('tries again after its rest when a chunk fails', async () => {
    const failure = new Error('database is locked')
    const pruneExpired = vi.fn<Retention['pruneExpired']>().mockReturnValue(0)
    pruneExpired.mockImplementationOnce(() => {
      throw failure
    })
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined)
    const pruning = startPruning({
      retention: { pruneExpired },
      retentionMs: 0,
      now: () => 0,
      onPruned: () => undefined,
      idleMs: 2_000
    })
    await nextTurn()
    expect(logged).toHaveBeenCalledWith(expect.stringMatching(/pruning/), failure)
    vi.advanceTimersByTime(2_000)
    expect(pruneExpired).toHaveBeenCalledTimes(2)
    pruning.stop()
    logged.mockRestore()
  })
})
