import Database from 'better-sqlite3'
import { closeSync, existsSync, openSync, readdirSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openStore, type NewEvent } from '../../src/main/store'
import { laneOf } from '../../src/main/store/lanes'
import { migrate, migrations } from '../../src/main/store/migrations'
import { recoverOutbox, type RecoveryReport } from '../../src/main/store/recover'
import { DamagedDatabaseError } from '../../src/main/store/storage-errors'
import { tempDir } from '../support/temp'

const EVENTS = 1_000
const SENT = 100

function event(index: number): NewEvent {
  return {
    destination: 'whisperr',
    messageId: `m-${index}`,
    kind: 'track',
    name: 'feature_used',
    userKey: `u${index % 7}`,
    occurredAt: 1_000,
    payload: JSON.stringify({ index, padding: 'p'.repeat(300) }),
    upstreamParams: null
  }
}

/** 1,000 events; the first 100 delivered in one attempt (an attempt row and 100 links). */
function buildOutbox(file: string): void {
  const store = openStore(file)
  store.outbox.enqueueEvents([Array.from({ length: EVENTS }, (_, index) => event(index))], 1_000)
  // In the whole queue's order: the first 100 events, which fill the table's first pages.
  const claim = store.outbox.claimDueBatch('whisperr', 2_000, SENT, 60_000, () => true, { order: 'queue' })
  if (claim.kind !== 'claimed') throw new Error('nothing claimed')
  store.outbox.settleAttempt(
    {
      destination: 'whisperr',
      startedAt: 2_000,
      durationMs: 5,
      status: 202,
      outcome: 'ok',
      reason: 'accepted',
      request: '{}',
      responseBody: null
    },
    [{ ids: claim.events.map((claimed) => claimed.id), settlement: { status: 'sent' } }],
    2_010
  )
  store.activity.write(
    [
      {
        minute: 1,
        destination: 'whisperr',
        received: EVENTS,
        delivered: SENT,
        failed: 0,
        backlog: EVENTS - SENT
      }
    ],
    0
  )
  store.close()
}

interface Page {
  pageno: number
  rows: number
}

function leafPages(file: string, table: string): { pages: Page[]; pageSize: number } {
  const db = new Database(file, { readonly: true })
  try {
    const pages = db
      .prepare(`SELECT pageno, ncell AS rows FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY path`)
      .all(table) as Page[]
    return { pages, pageSize: db.pragma('page_size', { simple: true }) as number }
  } finally {
    db.close()
  }
}

function overwrite(file: string, offset: number, length: number): void {
  const fd = openSync(file, 'r+')
  try {
    writeSync(fd, Buffer.alloc(length, 0xff), 0, length, offset)
  } finally {
    closeSync(fd)
  }
}

function rowsOf(file: string): { id: number; status: string; message_id: string }[] {
  const db = new Database(file, { readonly: true })
  try {
    return db.prepare('SELECT id, status, message_id FROM outbox ORDER BY id').all() as {
      id: number
      status: string
      message_id: string
    }[]
  } finally {
    db.close()
  }
}

const damagedReport = (report: RecoveryReport) => {
  if (!report.damaged) throw new Error('expected the outbox to be found damaged')
  return report
}

describe('recoverOutbox', () => {
  let dir: ReturnType<typeof tempDir>
  let file: string

  beforeEach(() => {
    dir = tempDir('outpost-recover')
    file = join(dir.path, 'outbox.sqlite')
    buildOutbox(file)
  })
  afterEach(() => dir.remove())

  it('changes nothing when the outbox is not damaged', () => {
    expect(recoverOutbox(file)).toEqual({ damaged: false, file })
    expect(readdirSync(dir.path).filter((name) => name.includes('damaged'))).toEqual([])
    expect(rowsOf(file)).toHaveLength(EVENTS)
  })

  it('skips each damaged page and keeps every other row with its id and status', () => {
    const { pages, pageSize } = leafPages(file, 'outbox')
    // The first page (events of the delivered attempt), one in the middle and one near the end.
    const damaged = [pages[0], pages[Math.floor(pages.length / 2)], pages[pages.length - 2]] as Page[]
    const before = rowsOf(file)
    for (const page of damaged) overwrite(file, (page.pageno - 1) * pageSize, pageSize)
    expect(() => openStore(file)).toThrow(DamagedDatabaseError)

    const report = damagedReport(recoverOutbox(file, new Date('2025-01-31T12:00:00.000Z')))
    const lost = damaged.reduce((sum, page) => sum + page.rows, 0)
    const outbox = report.tables.find((table) => table.table === 'outbox')
    expect(outbox).toEqual({ table: 'outbox', copied: EVENTS - lost, refused: 0, unreadableRanges: 3 })
    expect(report.eventsBefore).toBe(EVENTS)
    expect(report.movedAside[0]).toBe(join(dir.path, 'outbox.damaged-20250131T120000Z.sqlite'))
    // The links of the delivered attempt to the events lost with the first page are left out.
    expect(report.tables.find((table) => table.table === 'attempt_events')).toMatchObject({
      copied: SENT - (damaged[0] as Page).rows,
      refused: (damaged[0] as Page).rows
    })

    const after = rowsOf(file)
    const kept = new Map(after.map((row) => [row.id, row]))
    expect(after).toHaveLength(EVENTS - lost)
    expect(before.filter((row) => kept.has(row.id))).toEqual(after)
    expect(after.filter((row) => row.status === 'sent')).toHaveLength(SENT - (damaged[0] as Page).rows)
    // The activity charts' minutes come along.
    expect(report.tables.find((table) => table.table === 'activity')).toMatchObject({ copied: 1, refused: 0 })

    // The new outbox opens, its counts rebuilt from the rows.
    const store = openStore(file)
    try {
      expect(store.outbox.backlog().events).toBe(EVENTS - SENT - lost + (damaged[0] as Page).rows)
    } finally {
      store.close()
    }
  })

  it("gives the events of an outbox from before lanes their users' lanes", () => {
    const older = join(dir.path, 'older.sqlite')
    const db = new Database(older)
    migrate(db, migrations.slice(0, 8))
    const insert = db.prepare(
      `INSERT INTO outbox (destination, message_id, kind, name, user_key, received_at, payload, next_attempt_at, bytes)
       VALUES ('whisperr', ?, 'track', 'x', ?, 0, ?, 0, 300)`
    )
    db.transaction(() => {
      for (let index = 0; index < EVENTS; index++) insert.run(`m-${index}`, `u${index % 7}`, 'p'.repeat(300))
    })()
    db.close()
    const { pages, pageSize } = leafPages(older, 'outbox')
    overwrite(older, ((pages[1] as Page).pageno - 1) * pageSize, pageSize)

    damagedReport(recoverOutbox(older))
    const recovered = new Database(older, { readonly: true })
    try {
      const rows = recovered.prepare('SELECT user_key AS userKey, lane FROM outbox').all() as {
        userKey: string
        lane: number
      }[]
      expect(rows.length).toBeGreaterThan(EVENTS / 2)
      expect(rows.filter((row) => row.lane !== laneOf(row.userKey))).toEqual([])
      expect(new Set(rows.map((row) => row.lane)).size).toBeGreaterThan(3)
    } finally {
      recovered.close()
    }
  })

  it('starts an empty outbox when not even the header can be read, and keeps the damaged file', () => {
    overwrite(file, 0, 100)
    expect(() => openStore(file)).toThrow(/is damaged \(file is not a database\).*outpost recover --data-dir/)

    const report = damagedReport(recoverOutbox(file))
    expect(report.damage).toMatch(/not a database/)
    expect(report.tables.every((table) => table.copied === 0)).toBe(true)
    expect(existsSync(report.movedAside[0] as string)).toBe(true)
    expect(rowsOf(file)).toEqual([])
  })
})
