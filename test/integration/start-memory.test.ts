import Database from 'better-sqlite3'
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openStore } from '../../src/main/store'
import { startCli, type CliProcess } from '../support/cli-process'
import { tempDir } from '../support/temp'

/**
 * The start checks every page of the outbox for damage. Read through a memory map, every page it
 * touched counted in the process's resident memory until the map was dropped: a 754 MB outbox
 * took `outpost serve` to 836 MB at start, where it settles at about 100 MB.
 */

const MB = 1024 * 1024
/** Blob rows that make the outbox file this big: far above what the process holds at rest. */
const PADDING_BYTES = 320 * MB
const BLOB_BYTES = 3_900

/** An outbox (the real schema) made large by a table of random blobs that the check reads too. */
function buildLargeOutbox(file: string): number {
  openStore(file).close()
  const db = new Database(file)
  try {
    db.pragma('synchronous = OFF')
    db.exec('CREATE TABLE padding (blob BLOB NOT NULL)')
    db.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
       INSERT INTO padding (blob) SELECT randomblob(?) FROM n`
    ).run(Math.ceil(PADDING_BYTES / BLOB_BYTES), BLOB_BYTES)
    db.pragma('wal_checkpoint(TRUNCATE)')
  } finally {
    db.close()
  }
  return statSync(file).size
}

/** The most resident memory the process has had (VmHWM), in bytes. */
function peakResidentBytes(pid: number): number {
  const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  if (!match) throw new Error(`no VmHWM for process ${pid}`)
  return Number(match[1]) * 1024
}

describe.skipIf(process.platform !== 'linux')('memory at start with a large outbox', () => {
  let dir: ReturnType<typeof tempDir>
  let cli: CliProcess | null = null

  beforeEach(() => {
    dir = tempDir('outpost-start-memory')
  })
  afterEach(async () => {
    if (cli && cli.child.exitCode === null) cli.child.kill('SIGKILL')
    await cli?.exited
    dir.remove()
  })

  it('checks the whole outbox without holding it in memory', async () => {
    const dataDir = join(dir.path, 'data')
    const fileBytes = buildLargeOutbox(join(dataDir, 'outbox.sqlite'))
    const configFile = join(dir.path, 'config.json')
    writeFileSync(
      configFile,
      JSON.stringify({
        ingest: { host: '127.0.0.1', port: 0 },
        destinations: [{ id: 'whisperr', vendor: 'whisperr', baseUrl: 'http://127.0.0.1:9', apiKey: 'k' }]
      })
    )
    cli = await startCli(['--config', configFile, '--data-dir', dataDir, '--port', '0'], {
      OUTPOST_ADMIN_TOKEN: 'start-memory-admin-token'
    })
    // It listens only after the check has read every page of the file.
    const peak = peakResidentBytes(cli.child.pid as number)
    expect(peak).toBeLessThan(fileBytes / 2)
  })
})
