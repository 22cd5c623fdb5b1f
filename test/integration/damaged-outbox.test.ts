import Database from 'better-sqlite3'
import { execFile } from 'node:child_process'
import { closeSync, existsSync, openSync, readdirSync, writeFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startCollector, type Collector } from '../../src/main/collector'
import { parseConfig } from '../../src/main/config'
import { createHttpClient } from '../../src/shared/http-client'
import { startMockWhisperr, type MockWhisperr } from '../mocks/whisperr'
import { CLI, startCli } from '../support/cli-process'
import { eventually, tempDir } from '../support/temp'
import { messageIdOf, whisperrEvent } from '../support/whisperr-events'

const API_KEY = 'wk_damaged_test'
const DELIVERED = 200
const WAITING = 1_800

interface OutboxPage {
  pageno: number
  rows: number
  pageSize: number
}

/** The leaf page of the outbox table in the middle of the file's event rows, and its row count. */
function middleOutboxPage(file: string): OutboxPage {
  const db = new Database(file, { readonly: true })
  try {
    const leaves = db
      .prepare(
        `SELECT pageno, ncell AS rows FROM dbstat WHERE name = 'outbox' AND pagetype = 'leaf' ORDER BY path`
      )
      .all() as { pageno: number; rows: number }[]
    const page = leaves[Math.floor(leaves.length * 0.6)] as { pageno: number; rows: number }
    return { ...page, pageSize: db.pragma('page_size', { simple: true }) as number }
  } finally {
    db.close()
  }
}

/** Every leaf page of one b-tree (a table or an index) of the outbox file. */
function leafPages(db: Database.Database, name: string): OutboxPage[] {
  const pageSize = db.pragma('page_size', { simple: true }) as number
  const pages = db
    .prepare(`SELECT pageno, ncell AS rows FROM dbstat WHERE name = ? AND pagetype = 'leaf'`)
    .all(name) as { pageno: number; rows: number }[]
  return pages.map((page) => ({ ...page, pageSize }))
}

/** What a bad sector or a torn write leaves: one page of the table overwritten with garbage. */
function overwritePage(file: string, page: OutboxPage): void {
  const fd = openSync(file, 'r+')
  try {
    writeSync(fd, Buffer.alloc(page.pageSize, 0xff), 0, page.pageSize, (page.pageno - 1) * page.pageSize)
  } finally {
    closeSync(fd)
  }
}

describe('a damaged outbox', () => {
  let upstream: MockWhisperr
  let dir: ReturnType<typeof tempDir>
  let dataDir: string
  let configFile: string
  const running: Collector[] = []

  const config = () =>
    parseConfig({
      ingest: { host: '127.0.0.1', port: 0 },
      destinations: [
        { id: 'whisperr', vendor: 'whisperr', baseUrl: upstream.url, apiKeyEnv: 'TEST_WHISPERR_KEY' }
      ],
      sync: { backoffBaseMs: 20, backoffMaxMs: 200 }
    })

  async function start(): Promise<Collector> {
    const collector = await startCollector({
      searchIndex: false,
      config: config(),
      dataDir,
      port: 0,
      adminToken: 'test-token',
      rendererDir: null,
      env: { TEST_WHISPERR_KEY: API_KEY }
    })
    running.push(collector)
    return collector
  }

  async function ingest(collector: Collector, count: number): Promise<string[]> {
    const events = Array.from({ length: count }, () => whisperrEvent())
    for (let first = 0; first < count; first += 100) {
      const response = await fetch(`${collector.url}/whisperr/v1/events/batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ events: events.slice(first, first + 100) })
      })
      expect(response.status).toBe(202)
    }
    return events.map(messageIdOf)
  }

  beforeEach(async () => {
    upstream = await startMockWhisperr({ apiKey: API_KEY })
    dir = tempDir('outpost-damaged')
    dataDir = join(dir.path, 'data')
    configFile = join(dir.path, 'config.json')
    writeFileSync(configFile, JSON.stringify(config()))
  })
  afterEach(async () => {
    for (const collector of running.splice(0)) await collector.close()
    await upstream.close()
    dir.remove()
  })

  it('is refused at start naming the file and `outpost recover`, which salvages every readable event', async () => {
    // 200 events delivered, then 1,800 waiting while the vendor is down.
    const first = await start()
    const delivered = await ingest(first, DELIVERED)
    await upstream.waitFor(() => upstream.deliveries.size === DELIVERED, 20_000, 'first events delivered')
    await eventually(async () => expect((await first.api.getStats({})).counts.sent).toBe(DELIVERED))
    await upstream.stop()
    const waiting = await ingest(first, WAITING)
    await running.pop()?.close()

    const outbox = join(dataDir, 'outbox.sqlite')
    const page = middleOutboxPage(outbox)
    expect(page.rows).toBeGreaterThan(0)
    overwritePage(outbox, page)

    const refusal = /The outbox database .*outbox\.sqlite is damaged .*outpost recover --data-dir/
    await expect(start()).rejects.toThrow(refusal)
    await expect(start()).rejects.toThrow(outbox)
    await expect(
      startCli(['--config', configFile, '--data-dir', dataDir, '--port', '0'], { TEST_WHISPERR_KEY: API_KEY })
    ).rejects.toThrow(refusal)

    const { stdout } = await promisify(execFile)(process.execPath, [CLI, 'recover', '--data-dir', dataDir])
    const salvaged = DELIVERED + WAITING - page.rows
    expect(stdout).toMatch(new RegExp(`events\\s+${salvaged} of ${DELIVERED + WAITING}`))
    const aside = readdirSync(dataDir).filter((name) => /^outbox\.damaged-\d{8}T\d{6}Z\.sqlite$/.test(name))
    expect(aside).toHaveLength(1)
    expect(stdout).toContain(join(dataDir, aside[0] as string))
    expect(existsSync(outbox)).toBe(true)

    // The salvaged outbox starts, keeps what was delivered as delivered, and delivers the rest.
    await upstream.restart()
    const collector = await start()
    const api = createHttpClient({ baseUrl: collector.url, token: 'test-token' })
    const counts = (await api.getStats({})).counts
    expect(counts.sent + counts.queued + counts.retrying + counts.sending).toBe(salvaged)
    await upstream.waitFor(
      () => upstream.deliveries.size === salvaged,
      30_000,
      `${salvaged} salvaged events delivered`
    )
    const sent = new Set([...delivered, ...waiting])
    expect([...upstream.deliveries.keys()].every((id) => sent.has(id))).toBe(true)
    expect(delivered.every((id) => upstream.deliveries.get(id) === 1)).toBe(true)
    // Ingest works again in the new outbox.
    expect(await ingest(collector, 10)).toHaveLength(10)
  })

  it('answers ingest 503 outbox_damaged when a write reaches damage while running', async () => {
    const collector = await start()
    await ingest(collector, 300)
    const outbox = join(dataDir, 'outbox.sqlite')
    // Another connection: everything into the main file, then every leaf of the index each new
    // event is inserted into (its message id must be unique) overwritten.
    const other = new Database(outbox)
    other.pragma('wal_checkpoint(TRUNCATE)')
    for (const page of leafPages(other, 'sqlite_autoindex_outbox_1')) overwritePage(outbox, page)
    // A write of its own, so that the collector's connection drops the pages it had cached.
    other.pragma(`user_version = ${other.pragma('user_version', { simple: true }) as number}`)
    other.close()

    const response = await fetch(`${collector.url}/whisperr/v1/events/track`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(whisperrEvent())
    })
    expect(response.status).toBe(503)
    expect(await response.json()).toMatchObject({
      error: 'outbox_damaged',
      message: expect.stringMatching(
        /damaged: nothing of this request was stored\. Stop Outpost and run `outpost recover/
      )
    })
    await running.pop()?.close()
    await expect(start()).rejects.toThrow(/is damaged .*outpost recover/)
  })
})
