import Database from 'better-sqlite3'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startCollector, type Collector } from '../../src/main/collector'
import { parseConfig } from '../../src/main/config'
import { tempDir } from '../support/temp'

describe('one collector per data folder', () => {
  let dir: ReturnType<typeof tempDir>
  const started: Collector[] = []
  const start = async () => {
    const collector = await startCollector({
      searchIndex: false,
      config: parseConfig({
        ingest: { host: '127.0.0.1', port: 0 },
        destinations: [{ id: 'whisperr', vendor: 'whisperr', apiKey: 'wk_lock_test' }]
      }),
      dataDir: dir.path,
      port: 0,
      rendererDir: null,
      env: {}
    })
    started.push(collector)
    return collector
  }

  beforeEach(() => {
    dir = tempDir('outpost-folder-lock')
  })
  afterEach(async () => {
    for (const collector of started.splice(0)) await collector.close()
    dir.remove()
  })

  it('starts exactly one of two collectors started together on one folder', async () => {
    const results = await Promise.allSettled([start(), start()])
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1)
    const [refused] = results.filter((result) => result.status === 'rejected')
    expect(String(refused?.reason)).toMatch(`is using ${dir.path}`)
  })

  it('frees the folder when a start fails after taking it, and when the collector closes', async () => {
    const newer = new Database(join(dir.path, 'outbox.sqlite'))
    newer.pragma('user_version = 9999')
    newer.close()
    await expect(start()).rejects.toThrow(/newer Outpost/)
    rmSync(join(dir.path, 'outbox.sqlite'))

    const first = await start()
    await first.close()
    started.splice(0)
    await expect(start()).resolves.toBeDefined()
  })
})
