import { existsSync } from 'node:fs'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openStore, type Store } from '../../src/main/store'
import { openReadConnection, openReader, type Reader } from '../../src/main/store/reader'
import { openSearchIndexWriter, searchIndexFileOf } from '../../src/main/store/search-index'
import { tempDir } from '../support/temp'
import { newEvent } from '../support/outbox-events'

describe('the outbox reader (a worker thread with its own read-only connection)', () => {
  let dir: ReturnType<typeof tempDir>
  let store: Store
  let reader: Reader
  const file = () => `${dir.path}/outbox.sqlite`

  beforeEach(() => {
    dir = tempDir()
    store = openStore(file())
    reader = openReader(file())
  })
  afterEach(async () => {
    await reader.close()
    store.close()
    dir.remove()
  })

  it('answers from the last commit while the writer holds a transaction open', async () => {
    store.outbox.enqueueEvents([[newEvent('committed')]], 0)
    store.db.exec('BEGIN IMMEDIATE')
    try {
      store.outbox.enqueueEvents([[newEvent('uncommitted')]], 0)
      // The writer's own connection sees its uncommitted row; the reader, another connection, does not.
      expect(store.queries.listEvents({}).events.map((e) => e.messageId)).toEqual([
        'uncommitted',
        'committed'
      ])
      const page = await reader.listEvents({})
      expect(page.events.map((e) => e.messageId)).toEqual(['committed'])
    } finally {
      store.db.exec('COMMIT')
    }
    expect((await reader.listEvents({})).events.map((e) => e.messageId)).toEqual(['uncommitted', 'committed'])
  })

  it('gives an event with its delivery attempts and history, as the store reads them', async () => {
    store.outbox.enqueueEvents([[newEvent('a')]], 0)
    const [id] = store.queries.listEvents({}).events.map((e) => e.id)
    const claim = store.outbox.claimDueBatch('whisperr', 1, 10, 1_000, () => true)
    if (claim.kind !== 'claimed') throw new Error('expected a claim')
    store.outbox.settleAttempt(
      {
        destination: 'whisperr',
        startedAt: 1,
        durationMs: 3,
        status: 422,
        outcome: 'permanent',
        reason: 'event_type refused',
        request: 'POST /v1/events/batch',
        responseBody: '{"error":"no"}'
      },
      [{ ids: [id!], settlement: { status: 'failed', error: 'event_type refused' } }],
      2
    )
    store.corrections.resendEvents([id!], { actor: 'tester', at: 3 })
    const detail = await reader.getEvent(id!)
    expect(detail).toEqual(store.queries.getEvent(id!))
    expect(detail?.attemptsLog).toHaveLength(1)
    expect(detail?.history.map((action) => action.action)).toEqual(['resend'])
    expect(await reader.getEvent(id! + 1)).toBeNull()
  })

  it('searches payloads through the index beside the outbox, and counts, as the store reads them', async () => {
    store.outbox.enqueueEvents([[newEvent('a', { payload: '{"sku":"R-100"}' }), newEvent('b')]], 0)
    const writer = openSearchIndexWriter(file())
    try {
      while (writer.step() !== 'idle');
      const indexed = openReader(file(), { searchIndexFile: searchIndexFileOf(file()) })
      try {
        const page = await indexed.listEvents({ search: 'r-100' })
        expect(page.events.map((e) => e.messageId)).toEqual(['a'])
        expect(page).toEqual(store.queries.listEvents({ search: 'r-100' }))
        expect(await indexed.countEvents({ search: 'r-100' })).toEqual({ count: 1, exact: true })
        expect(await indexed.countEvents({})).toEqual({ count: 2, exact: true })
      } finally {
        await indexed.close()
      }
    } finally {
      writer.close()
    }
  })

  it('refuses reads once closed, and a read waiting then fails instead of hanging', async () => {
    store.outbox.enqueueEvents([[newEvent('a')]], 0)
    const waiting = expect(reader.listEvents({})).rejects.toThrow(/closed/)
    await reader.close()
    await waiting
    await expect(reader.listEvents({})).rejects.toThrow(/closed/)
  })
})

describe('the reader connection', () => {
  it('is read-only: a write is refused, a missing outbox is not created, and a failed worker is replaced', async () => {
    const dir = tempDir()
    const file = `${dir.path}/outbox.sqlite`
    try {
      const store = openStore(file)
      const db = openReadConnection(file)
      expect(db.readonly).toBe(true)
      expect(() => db.exec(`DELETE FROM outbox`)).toThrow(
        expect.objectContaining({ code: 'SQLITE_READONLY' })
      )
      db.close()
      store.close()

      const missing = `${dir.path}/missing.sqlite`
      const reader = openReader(missing)
      await expect(reader.listEvents({})).rejects.toMatchObject({ code: 'SQLITE_CANTOPEN' })
      expect(existsSync(missing)).toBe(false)
      // The worker stopped on that error; the next read starts another, which finds the outbox now.
      openStore(missing).close()
      expect(await reader.listEvents({})).toEqual({ events: [], nextBeforeId: null })
      await reader.close()
    } finally {
      dir.remove()
    }
  })
})
