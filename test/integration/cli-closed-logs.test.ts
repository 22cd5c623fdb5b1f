import Database from 'better-sqlite3'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startCli, type CliProcess } from '../support/cli-process'
import { tempDir } from '../support/temp'
import { whisperrEvent } from '../support/whisperr-events'

/**
 * The process that read Outpost's output went away (a closed pipe): every later write to stdout or
 * stderr fails with EPIPE. The collector must go on taking events regardless.
 */
describe('outpost serve with its output closed', () => {
  let dir: ReturnType<typeof tempDir>
  let cli: CliProcess | undefined

  beforeEach(() => {
    dir = tempDir('outpost-closed-logs')
    writeFileSync(
      join(dir.path, 'config.json'),
      JSON.stringify({
        ingest: { host: '127.0.0.1', port: 0 },
        destinations: [{ id: 'whisperr', vendor: 'whisperr', baseUrl: 'http://127.0.0.1:9' }]
      })
    )
  })
  afterEach(async () => {
    if (cli && cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill('SIGKILL')
    await cli?.exited
    dir.remove()
  })

  const track = (url: string) =>
    fetch(`${url}/whisperr/v1/events/track`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(whisperrEvent())
    })

  it('keeps serving ingest after logging an error to a closed stderr, and exits cleanly', async () => {
    const dataDir = join(dir.path, 'data')
    cli = await startCli(['--config', join(dir.path, 'config.json'), '--data-dir', dataDir, '--port', '0'])
    expect((await track(cli.url)).status).toBe(202)
    cli.child.stderr?.destroy()
    cli.child.stdout?.destroy()

    // Another program (a backup, a sqlite3 shell) holds the outbox's write lock: after the busy
    // timeout the collector fails each request and logs it on stderr. Node's console swallows the
    // first EPIPE of a stream; the second, without a listener, is an uncaught exception.
    const blocker = new Database(join(dataDir, 'outbox.sqlite'))
    blocker.exec('BEGIN EXCLUSIVE')
    const blocked = [(await track(cli.url)).status, (await track(cli.url)).status]
    blocker.exec('ROLLBACK')
    blocker.close()
    expect(blocked).toEqual([500, 500])

    expect((await track(cli.url)).status).toBe(202)
    // Its shutdown line goes to the closed stdout.
    cli.child.kill('SIGTERM')
    expect(await cli.exited).toBe(0)
  })
})
