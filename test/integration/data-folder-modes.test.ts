import { chmodSync, mkdirSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startCollector, type Collector } from '../../src/main/collector'
import { parseConfig } from '../../src/main/config'
import { tempDir } from '../support/temp'
import { whisperrEvent } from '../support/whisperr-events'

/** Event data must not be readable by other local users: the folder 0700, every file in it 0600. */
describe.skipIf(process.platform === 'win32')('data folder modes', () => {
  let dir: ReturnType<typeof tempDir>
  let previousUmask: number
  const running: Collector[] = []

  beforeEach(() => {
    dir = tempDir('outpost-modes')
    // The usual umask: what SQLite and mkdir would create world-readable without Outpost's care.
    previousUmask = process.umask(0o022)
  })
  afterEach(async () => {
    for (const collector of running.splice(0)) await collector.close()
    process.umask(previousUmask)
    dir.remove()
  })

  async function start(dataDir: string): Promise<Collector> {
    const collector = await startCollector({
      config: parseConfig({
        ingest: { host: '127.0.0.1', port: 0 },
        destinations: [{ id: 'whisperr', vendor: 'whisperr', baseUrl: 'http://127.0.0.1:9' }]
      }),
      dataDir,
      port: 0,
      adminToken: 'test-token',
      rendererDir: null,
      env: {}
    })
    running.push(collector)
    return collector
  }

  async function ingest(collector: Collector, count: number): Promise<void> {
    const events = Array.from({ length: count }, () => whisperrEvent())
    const response = await fetch(`${collector.url}/whisperr/v1/events/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ events })
    })
    expect(response.status).toBe(202)
  }

  const modeOf = (path: string) => statSync(path).mode & 0o777

  function modesIn(dataDir: string): Record<string, string> {
    return Object.fromEntries(
      readdirSync(dataDir).map((name) => [name, modeOf(join(dataDir, name)).toString(8)])
    )
  }

  it('creates a fresh data folder 0700 and every file in it 0600', async () => {
    const dataDir = join(dir.path, 'parent', 'data')
    const collector = await start(dataDir)
    await ingest(collector, 50)

    expect(modeOf(dataDir).toString(8)).toBe('700')
    const modes = modesIn(dataDir)
    expect(Object.keys(modes)).toEqual(
      expect.arrayContaining(['outbox.sqlite', 'outbox.sqlite-wal', 'outpost.lock'])
    )
    expect(
      Object.values(modes).every((mode) => mode === '600'),
      JSON.stringify(modes)
    ).toBe(true)
  })

  it('tightens a folder and files an older Outpost left readable', async () => {
    const dataDir = join(dir.path, 'data')
    mkdirSync(dataDir, { mode: 0o755 })
    chmodSync(dataDir, 0o755)
    await ingest(await start(dataDir), 10)
    await running.pop()?.close()
    for (const name of readdirSync(dataDir)) chmodSync(join(dataDir, name), 0o644)
    chmodSync(dataDir, 0o755)

    const collector = await start(dataDir)
    expect(modeOf(dataDir).toString(8)).toBe('700')
    await ingest(collector, 10)
    const modes = modesIn(dataDir)
    expect(
      Object.values(modes).every((mode) => mode === '600'),
      JSON.stringify(modes)
    ).toBe(true)
  })
})
