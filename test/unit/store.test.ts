import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { EventQuery } from '../../src/shared/model'
import { openStore, type Store } from '../../src/main/store'
import { openDatabase } from '../../src/main/store/database'
import { laneOf } from '../../src/main/store/lanes'
import { migrate, migrations, NewerDatabaseError } from '../../src/main/store/migrations'
import { tempDir } from '../support/temp'
import { newEvent } from '../support/outbox-events'

const batchable = () => true

describe('store', () => {
  let dir: ReturnType<typeof tempDir>
  let store: Store
  const file = () => `${dir.path}/outbox.sqlite`

  beforeEach(() => {
    dir = tempDir()
    store = openStore(file())
  })
  afterEach(() => {
    store.close()
    dir.remove()
  })

  it('opens in WAL mode with synchronous=FULL, a page cache for the batches in flight, and the newest schema', () => {
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(store.db.pragma('synchronous', { simple: true })).toBe(2)
    // 64 MiB (a negative cache_size is KiB): 32 batches of 500 events, one page each.
    expect(store.db.pragma('cache_size', { simple: true })).toBe(-64 * 1024)
    expect(store.db.pragma('user_version', { simple: true })).toBe(migrations.length)
  })

  it('keeps statement journals in memory, never in a temporary file that a group commit writes through', () => {
    // 2 = MEMORY: with the default (a file past 64 KiB), one b-tree split in a group commit sent
    // every later insert of the group through write() to that file.
    expect(store.db.pragma('temp_store', { simple: true })).toBe(2)
  })

  it('deduplicates on (destination, message id) and counts per request', () => {
    const [first, second] = store.outbox.enqueueEvents(
      [
        [newEvent('a'), newEvent('b')],
        [newEvent('a'), newEvent('c')]
      ],
      5
    )
    expect(first).toEqual({ inserted: 2, duplicates: 0 })
    expect(second).toEqual({ inserted: 1, duplicates: 1 })
    const [other] = store.outbox.enqueueEvents([[newEvent('a', { destination: 'second' })]], 5)
    expect(other).toEqual({ inserted: 1, duplicates: 0 })
    expect(store.outbox.backlog().events).toBe(4)
  })

  it('stores a large request in its order, each message id once, the first of a repeat kept', () => {
    store.outbox.enqueueEvents([[newEvent('stored')]], 1)
    const ids = Array.from({ length: 250 }, (_, index) => `e${index}`)
    const request = [
      ...ids.map((id) => newEvent(id)),
      newEvent('e7', { payload: '{"repeat":true}' }),
      newEvent('stored'),
      newEvent('last')
    ]
    const [result] = store.outbox.enqueueEvents([request], 2)
    expect(result).toEqual({ inserted: 251, duplicates: 2 })
    const rows = store.db
      .prepare(`SELECT message_id AS messageId, payload, bytes FROM outbox WHERE received_at = 2 ORDER BY id`)
      .all() as { messageId: string; payload: string; bytes: number }[]
    expect(rows.map((row) => row.messageId)).toEqual([...ids, 'last'])
    expect(rows[7]).toEqual({
      messageId: 'e7',
      payload: newEvent('e7').payload,
      bytes: Buffer.byteLength(newEvent('e7').payload)
    })
    expect(store.outbox.backlog().events).toBe(252)
  })

  it('claims FIFO, one kind per batch, and holds the queue while its head waits', () => {
    store.outbox.enqueueEvents(
      [[newEvent('a'), newEvent('b'), newEvent('i', { kind: 'identify' }), newEvent('c')]],
      0
    )
    const first = store.outbox.claimDueBatch('whisperr', 10, 500, 1000, batchable)
    expect(first.kind === 'claimed' && first.events.map((e) => e.messageId)).toEqual(['a', 'b'])
    if (first.kind !== 'claimed') throw new Error('expected a claim')
    const ids = first.events.map((e) => e.id)
    store.outbox.settleAttempt(
      {
        destination: 'whisperr',
        startedAt: 10,
        durationMs: 1,
        status: 503,
        outcome: 'retry',
        reason: 'down',
        request: 'POST',
        responseBody: null
      },
      [{ ids, settlement: { status: 'retrying', nextAttemptAt: 100, error: 'down' } }],
      11
    )
    // The identify behind the retrying head must not overtake it.
    expect(store.outbox.claimDueBatch('whisperr', 50, 500, 1000, batchable)).toEqual({
      kind: 'waiting',
      dueAt: 100
    })
    const retry = store.outbox.claimDueBatch('whisperr', 100, 500, 1000, batchable)
    expect(retry.kind === 'claimed' && retry.events.map((e) => [e.messageId, e.attempts])).toEqual([
      ['a', 1],
      ['b', 1]
    ])
  })

  it('batches only events with the same upstream parameters, and unbatchable kinds alone', () => {
    const project = (id: string) => JSON.stringify({ projectId: id })
    store.outbox.enqueueEvents(
      [
        [
          newEvent('a', { upstreamParams: project('p1') }),
          newEvent('b', { upstreamParams: project('p1') }),
          newEvent('c', { upstreamParams: project('p2') })
        ]
      ],
      0
    )
    const first = store.outbox.claimDueBatch('whisperr', 1, 500, 1000, batchable)
    expect(first.kind === 'claimed' && first.events.map((e) => [e.messageId, e.upstreamParams])).toEqual([
      ['a', project('p1')],
      ['b', project('p1')]
    ])
    const sent = (claim: typeof first) => {
      if (claim.kind !== 'claimed') throw new Error('expected a claim')
      const attempt = {
        destination: 'whisperr',
        startedAt: 1,
        durationMs: 1,
        status: 202,
        outcome: 'ok' as const
      }
      store.outbox.settleAttempt(
        { ...attempt, reason: 'ok', request: 'POST', responseBody: null },
        [{ ids: claim.events.map((e) => e.id), settlement: { status: 'sent' } }],
        1
      )
    }
    sent(first)
    const second = store.outbox.claimDueBatch('whisperr', 1, 500, 1000, batchable)
    expect(second.kind === 'claimed' && second.events.map((e) => e.messageId)).toEqual(['c'])
    sent(second)

    store.outbox.enqueueEvents([[newEvent('d'), newEvent('e')]], 0)
    const alone = store.outbox.claimDueBatch('whisperr', 1, 500, 1000, () => false)
    expect(alone.kind === 'claimed' && alone.events.map((e) => e.messageId)).toEqual(['d'])
  })

  it('stores a repeat of an Idempotency-Key once, and nothing of a request that reuses one for another body', () => {
    const keyed = (messageId: string, payload: string) =>
      newEvent(messageId, { payload, keyedByRequest: true })
    const request = [keyed('k_key_r1#0', '{"n":1}'), keyed('k_key_r1#1', '{"n":2}')]
    expect(store.outbox.enqueueEvents([request], 0)).toEqual([{ inserted: 2, duplicates: 0 }])
    const [retry, reused, other] = store.outbox.enqueueEvents(
      [
        request,
        [keyed('k_key_r1#0', '{"n":1}'), keyed('k_key_r1#1', '{"n":3}'), keyed('k_key_r1#2', '{}')],
        [newEvent('c')]
      ],
      5
    )
    expect(retry).toEqual({ inserted: 0, duplicates: 2 })
    expect(reused).toEqual({ inserted: 0, duplicates: 0, keyReused: true })
    expect(other).toEqual({ inserted: 1, duplicates: 0 })
    expect(store.queries.listEvents({}).events.map((e) => e.messageId)).toEqual([
      'c',
      'k_key_r1#1',
      'k_key_r1#0'
    ])
    expect(store.outbox.backlog().events).toBe(3)
  })

  it('records attempts, settles rows and frees backlog space when sent', () => {
    store.outbox.enqueueEvents([[newEvent('a')]], 0)
    const claim = store.outbox.claimDueBatch('whisperr', 1, 500, 1000, batchable)
    if (claim.kind !== 'claimed') throw new Error('expected a claim')
    store.outbox.settleAttempt(
      {
        destination: 'whisperr',
        startedAt: 1,
        durationMs: 7,
        status: 202,
        outcome: 'ok',
        reason: 'accepted',
        request: 'POST /v1/events/batch',
        responseBody: '{}'
      },
      [{ ids: [claim.events[0]!.id], settlement: { status: 'sent' } }],
      9
    )
    const detail = store.queries.getEvent(claim.events[0]!.id)
    expect(detail).toMatchObject({
      status: 'sent',
      attempts: 1,
      lastStatus: 202,
      sentAt: new Date(9).toISOString()
    })
    expect(detail?.attemptsLog).toHaveLength(1)
    expect(detail?.attemptsLog[0]).toMatchObject({ status: 202, outcome: 'ok', durationMs: 7, batchSize: 1 })
    expect(store.outbox.backlog()).toEqual({ events: 0, bytes: 0 })
  })

  it('keeps the status counts equal to the rows through every kind of write', () => {
    const counted = () =>
      store.db.prepare('SELECT destination, status, n FROM status_counts WHERE n > 0 ORDER BY 1, 2').all()
    const actual = () =>
      store.db
        .prepare('SELECT destination, status, count(*) AS n FROM outbox GROUP BY 1, 2 ORDER BY 1, 2')
        .all()
    const attempt = (outcome: 'ok' | 'retry' | 'permanent') => ({
      destination: 'whisperr',
      startedAt: 1,
      durationMs: 1,
      status: outcome === 'ok' ? 202 : 500,
      outcome,
      reason: outcome,
      request: 'POST',
      responseBody: null
    })
    const claimOne = (now = 1) => {
      const claim = store.outbox.claimDueBatch('whisperr', now, 1, 1000, batchable)
      if (claim.kind !== 'claimed') throw new Error('expected a claim')
      return claim.events[0]!.id
    }
    const who = { actor: 'test', at: 5 }

    store.outbox.enqueueEvents(
      [[newEvent('a'), newEvent('b'), newEvent('c'), newEvent('d'), newEvent('e', { destination: 'other' })]],
      0
    )
    expect(counted()).toEqual(actual())
    const sent = claimOne()
    store.outbox.settleAttempt(attempt('ok'), [{ ids: [sent], settlement: { status: 'sent' } }], 2)
    const failed = claimOne()
    store.outbox.settleAttempt(
      attempt('permanent'),
      [{ ids: [failed], settlement: { status: 'failed', error: 'no' } }],
      3
    )
    const retrying = claimOne()
    store.outbox.settleAttempt(
      attempt('retry'),
      [{ ids: [retrying], settlement: { status: 'retrying', nextAttemptAt: 4, error: 'later' } }],
      3
    )
    expect(counted()).toEqual(actual())
    store.corrections.discardEvents([retrying], who)
    store.corrections.resendEvents([failed], who)
    store.corrections.editPayload(
      failed,
      { payload: '{"edited":true}', name: 'x', userKey: null, occurredAt: null },
      who
    )
    expect(counted()).toEqual(actual())
    claimOne(10)
    store.close()
    store = openStore(file())
    expect(store.retention.pruneExpired(100, 100)).toBe(2)
    expect(counted()).toEqual(actual())
    expect(counted()).toEqual([
      { destination: 'other', status: 'queued', n: 1 },
      { destination: 'whisperr', status: 'queued', n: 2 }
    ])
  })

  it('returns leases left by a crash to the queue when reopened', () => {
    store.outbox.enqueueEvents([[newEvent('a'), newEvent('b')]], 0)
    expect(store.outbox.claimDueBatch('whisperr', 1, 500, 1000, batchable).kind).toBe('claimed')
    store.close()
    store = openStore(file())
    const counts = store.queries.countsByDestination().get('whisperr')
    expect(counts).toMatchObject({ queued: 2, sending: 0 })
  })

  it('lists events newest first with filters, search and paging', () => {
    store.outbox.enqueueEvents(
      [[newEvent('a'), newEvent('b', { userKey: 'alice' }), newEvent('c', { name: 'plan_changed' })]],
      0
    )
    const page = store.queries.listEvents({ limit: 2 })
    expect(page.events.map((e) => e.messageId)).toEqual(['c', 'b'])
    const next = store.queries.listEvents({ limit: 2, beforeId: page.nextBeforeId! })
    expect(next.events.map((e) => e.messageId)).toEqual(['a'])
    expect(next.nextBeforeId).toBeNull()
    expect(store.queries.listEvents({ search: 'ali' }).events.map((e) => e.messageId)).toEqual(['b'])
    expect(store.queries.listEvents({ search: 'plan_' }).events.map((e) => e.messageId)).toEqual(['c'])
    expect(store.queries.listEvents({ search: 'a', status: 'sent' }).events).toEqual([])
  })

  it('finds a search within a status whether it reads that status or the narrow index', () => {
    // 60 queued events and one failed: the failed status is read row by row, the queued one through
    // the narrow index of every event (queries.ts, searchInStatus).
    store.outbox.enqueueEvents(
      [
        Array.from({ length: 60 }, (_, index) =>
          newEvent(`q${index}`, { userKey: index === 3 ? 'alice' : 'bob' })
        )
      ],
      0
    )
    store.outbox.enqueueEvents([[newEvent('f', { userKey: 'alice', destination: 'other' })]], 0)
    const claim = store.outbox.claimDueBatch('other', 1, 10, 1_000, batchable)
    if (claim.kind !== 'claimed') throw new Error('expected a claim')
    store.outbox.settleAttempt(
      {
        destination: 'other',
        startedAt: 1,
        durationMs: 1,
        status: 400,
        outcome: 'permanent',
        reason: 'no',
        request: 'POST',
        responseBody: null
      },
      [{ ids: claim.events.map((e) => e.id), settlement: { status: 'failed', error: 'no' } }],
      2
    )
    const ids = (query: EventQuery) => store.queries.listEvents(query).events.map((e) => e.messageId)
    expect(ids({ status: 'failed', search: 'ali' })).toEqual(['f'])
    expect(ids({ status: 'failed', search: 'f' })).toEqual(['f'])
    expect(ids({ status: 'failed', destination: 'other', search: 'ali' })).toEqual(['f'])
    expect(ids({ status: 'failed', destination: 'whisperr', search: 'ali' })).toEqual([])
    expect(ids({ status: 'queued', search: 'ali' })).toEqual(['q3'])
    expect(ids({ status: 'queued', search: 'q20' })).toEqual(['q20'])
    expect(ids({ status: 'queued', search: 'bob', limit: 2 })).toEqual(['q59', 'q58'])
  })

  it('lists the events one upstream request carried', () => {
    store.outbox.enqueueEvents([[newEvent('a'), newEvent('b'), newEvent('c')]], 0)
    const settleAs = (limit: number) => {
      const claim = store.outbox.claimDueBatch('whisperr', 1, limit, 1000, batchable)
      if (claim.kind !== 'claimed') throw new Error('expected a claim')
      const ids = claim.events.map((e) => e.id)
      store.outbox.settleAttempt(
        {
          destination: 'whisperr',
          startedAt: 1,
          durationMs: 1,
          status: 422,
          outcome: 'permanent',
          reason: 'no',
          request: 'POST',
          responseBody: null
        },
        [{ ids, settlement: { status: 'failed', error: 'no' } }],
        2
      )
      return store.queries.getEvent(ids[0]!)!.attemptsLog[0]!.id
    }
    const first = settleAs(2)
    const second = settleAs(1)
    expect(store.queries.listEvents({ attemptId: first }).events.map((e) => e.messageId)).toEqual(['b', 'a'])
    expect(
      store.queries.listEvents({ attemptId: second, status: 'failed' }).events.map((e) => e.messageId)
    ).toEqual(['c'])
    const plan = (
      store.db
        .prepare(
          `EXPLAIN QUERY PLAN SELECT id FROM outbox WHERE id IN (SELECT event_id FROM attempt_events WHERE attempt_id = 1) ORDER BY id DESC`
        )
        .all() as { detail: string }[]
    )
      .map((row) => row.detail)
      .join(' | ')
    expect(plan).toMatch(/attempt_events_attempt/)
  })

  it('prunes delivered and discarded events after the retention period only', () => {
    store.outbox.enqueueEvents(
      [[newEvent('old'), newEvent('kept'), newEvent('dropped'), newEvent('dropped-late')]],
      0
    )
    const claim = store.outbox.claimDueBatch('whisperr', 1, 1, 1000, batchable)
    if (claim.kind !== 'claimed') throw new Error('expected a claim')
    store.outbox.settleAttempt(
      {
        destination: 'whisperr',
        startedAt: 1,
        durationMs: 1,
        status: 202,
        outcome: 'ok',
        reason: 'ok',
        request: 'POST',
        responseBody: null
      },
      [{ ids: [claim.events[0]!.id], settlement: { status: 'sent' } }],
      10
    )
    const idOf = (messageId: string) =>
      store.queries.listEvents({ search: messageId }).events.find((e) => e.messageId === messageId)!.id
    store.corrections.discardEvents([idOf('dropped')], { actor: 'test', at: 8 })
    store.corrections.discardEvents([idOf('dropped-late')], { actor: 'test', at: 20 })
    expect(store.retention.pruneExpired(5, 100)).toBe(0)
    expect(store.retention.pruneExpired(11, 100)).toBe(2)
    expect(store.queries.listEvents({}).events.map((e) => e.messageId)).toEqual(['dropped-late', 'kept'])
    expect(store.outbox.backlog().events).toBe(1)
  })
})

describe('migrations', () => {
  it('refuses a database written by a newer version and leaves it untouched', () => {
    const dir = tempDir()
    const file = `${dir.path}/outbox.sqlite`
    const db = new Database(file)
    db.pragma(`user_version = ${migrations.length + 1}`)
    db.close()
    expect(() => openDatabase(file)).toThrow(NewerDatabaseError)
    const reopened = new Database(file)
    expect(reopened.pragma('user_version', { simple: true })).toBe(migrations.length + 1)
    reopened.close()
    dir.remove()
  })

  it('refuses a migration list that does not increase strictly', () => {
    const db = new Database(':memory:')
    expect(() => migrate(db, [{ version: 2, name: 'skip', sql: '' }])).toThrow(/expected 1/)
    db.close()
  })

  it('keeps data across a migration and the hot queries on their indexes', () => {
    const db = new Database(':memory:')
    migrate(db, migrations.slice(0, 1))
    db.prepare(
      `INSERT INTO outbox (destination, message_id, kind, name, received_at, received_payload, payload, next_attempt_at, bytes)
       VALUES ('w', 'm1', 'track', 'x', 0, '{}', '{}', 0, 2)`
    ).run()
    migrate(db)
    expect(db.prepare('SELECT count(*) AS n FROM outbox').get()).toEqual({ n: 1 })
    const plan = (sql: string) =>
      (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[])
        .map((row) => row.detail)
        .join(' | ')
    expect(
      plan(
        `SELECT id FROM outbox WHERE destination = 'w' AND lane = 3 AND status IN ('queued', 'retrying', 'sending') ORDER BY id LIMIT 500`
      )
    ).toMatch(/USING INDEX outbox_lanes \(destination=\? AND lane=\?\)$/)
    const statusFilter = plan(`SELECT id FROM outbox WHERE status = 'failed' ORDER BY id DESC LIMIT 200`)
    expect(statusFilter).toMatch(/INDEX outbox_status \(status=\?\)/)
    expect(statusFilter).not.toMatch(/TEMP B-TREE/)
    expect(db.prepare('SELECT destination, status, n, bytes FROM status_counts').all()).toEqual([
      { destination: 'w', status: 'queued', n: 1, bytes: 2 }
    ])
    expect(
      plan(`SELECT id FROM outbox WHERE status = 'sent' AND sent_at < 5 ORDER BY sent_at LIMIT 10`)
    ).toMatch(/outbox_sent_at/)
    expect(
      plan(
        `SELECT id FROM outbox WHERE status = 'discarded' AND discarded_at < 5 ORDER BY discarded_at LIMIT 10`
      )
    ).toMatch(/INDEX outbox_discarded_at \(status=\? AND discarded_at<\?\)/)
    db.close()
  })

  it("gives a backlog stored before lanes its users' lanes, so that it is not delivered through one lane", () => {
    const db = new Database(':memory:')
    migrate(db, migrations.slice(0, 8))
    const insert = db.prepare(
      `INSERT INTO outbox (destination, message_id, kind, name, user_key, received_at, payload, next_attempt_at, bytes, status)
       VALUES ('w', ?, 'track', 'x', ?, 0, '{}', 0, 2, ?)`
    )
    const rows: [string, string | null, string][] = [
      ['m1', 'u1', 'queued'],
      ['m2', 'u2', 'retrying'],
      ['m3', 'u85', 'failed'],
      ['m4', 'u37', 'discarded'],
      ['m5', null, 'queued'],
      ['m6', 'u1', 'sent']
    ]
    for (const row of rows) insert.run(...row)
    migrate(db)
    const lanes = db.prepare('SELECT message_id AS messageId, lane FROM outbox ORDER BY id').all()
    expect(laneOf('u1')).not.toBe(0)
    expect(lanes).toEqual([
      ...rows.slice(0, 5).map(([messageId, userKey]) => ({ messageId, lane: laneOf(userKey) })),
      // Delivered events are never claimed again: the upgrade does not rewrite them.
      { messageId: 'm6', lane: 0 }
    ])
    expect(new Set(lanes.map((row) => (row as { lane: number }).lane)).size).toBeGreaterThan(2)
    db.close()
  })
})
