import { describe, expect, it } from 'vitest'
import { createGroupCommitWriter, OutboxFullError } from '../../src/main/ingest/group-commit'
import type { EnqueueResult, NewEvent } from '../../src/main/store'

function event(messageId: string, payload = '{}'): NewEvent {
  return {
    destination: 'd',
    messageId,
    kind: 'track',
    name: 'x',
    userKey: null,
    occurredAt: null,
    payload,
    upstreamParams: null
  }
}

function writerWith(
  commit: (requests: NewEvent[][]) => EnqueueResult[],
  limits = { maxEvents: 1000, maxBytes: 1_000_000 }
) {
  const committed: string[][][] = []
  const woken: string[][] = []
  const writer = createGroupCommitWriter({
    commit: (requests) => {
      committed.push(requests.map((events) => events.map((e) => e.messageId)))
      return commit(requests)
    },
    backlog: () => ({ events: 0, bytes: 0 }),
    limits,
    now: () => 42,
    onCommitted: (destinations) => woken.push([...destinations])
  })
  return { writer, committed, woken }
}

const insertAll = (requests: NewEvent[][]) =>
  requests.map((events) => ({ inserted: events.length, duplicates: 0 }))

describe('group commit', () => {
  it('commits requests that arrive together in one transaction, answering each after it', async () => {
    const { writer, committed, woken } = writerWith(insertAll)
    const answers = await Promise.all([
      writer.write([event('a')]),
      writer.write([event('b'), event('c')]),
      writer.write([event('d')])
    ])
    expect(committed).toEqual([[['a'], ['b', 'c'], ['d']]])
    expect(answers).toEqual([
      { inserted: 1, duplicates: 0 },
      { inserted: 2, duplicates: 0 },
      { inserted: 1, duplicates: 0 }
    ])
    expect(woken).toEqual([['d']])
    await writer.write([event('e')])
    expect(committed).toHaveLength(2)
  })

  it('retries a failed group request by request so one bad request fails alone', async () => {
    const { writer } = writerWith((requests) => {
      if (requests.some((events) => events.some((e) => e.messageId === 'bad')))
        throw new Error('constraint failed')
      return insertAll(requests)
    })
    const results = await Promise.allSettled([
      writer.write([event('a')]),
      writer.write([event('bad')]),
      writer.write([event('b')])
    ])
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
  })

  it('refuses requests beyond the outbox bounds and commits the rest', async () => {
    const { writer, committed } = writerWith(insertAll, { maxEvents: 2, maxBytes: 1_000_000 })
    const results = await Promise.allSettled([
      writer.write([event('a'), event('b')]),
      writer.write([event('c')])
    ])
    expect(results[0]).toMatchObject({ status: 'fulfilled' })
    expect(results[1]).toMatchObject({ status: 'rejected', reason: expect.any(OutboxFullError) })
    expect(committed).toEqual([[['a', 'b']]])
    const bytes = writerWith(insertAll, { maxEvents: 100, maxBytes: 10 })
    await expect(bytes.writer.write([event('big', '{"x":"more than ten bytes"}')])).rejects.toBeInstanceOf(
      OutboxFullError
    )
  })
})

describe('group commit with copies for fed destinations', () => {
  it('weighs each event by its copies against the outbox bounds', async () => {
    const writer = createGroupCommitWriter({
      commit: insertAll,
      backlog: () => ({ events: 0, bytes: 0 }),
      copiesPerEvent: (destination) => (destination === 'd' ? 1 : 0),
      limits: { maxEvents: 3, maxBytes: 1_000_000 },
      now: () => 42,
      onCommitted: () => {}
    })
    // Two events of a fed destination are four rows: over three.
    await expect(writer.write([event('a'), event('b')])).rejects.toBeInstanceOf(OutboxFullError)
    await expect(writer.write([event('c')])).resolves.toEqual({ inserted: 1, duplicates: 0 })
    const unfed = { ...event('e'), destination: 'other' }
    await expect(
      writer.write([unfed, { ...unfed, messageId: 'f' }, { ...unfed, messageId: 'g' }])
    ).resolves.toEqual({
      inserted: 3,
      duplicates: 0
    })
  })
})
