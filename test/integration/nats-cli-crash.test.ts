import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { NatsConnection } from '@nats-io/transport-node'
import { jetstreamManager } from '@nats-io/jetstream'
import { afterEach, expect, it } from 'vitest'
import { startCli, type CliProcess } from '../support/cli-process'
import { describeWithNatsServer, readStream, useNatsServer } from '../support/nats-server'
import { eventually, tempDir } from '../support/temp'
import { messageIdOf, whisperrEvent } from '../support/whisperr-events'

/**
 * `outpost serve` (the build in out/, `electron-vite build` first) SIGKILLed while it publishes to
 * a real nats-server -js, then started again on the same data folder: the events it had published
 * without recording it are published again with the same Nats-Msg-Id, and the stream's duplicate
 * window keeps each message id exactly once.
 */

const TOTAL = 10_000
const DEVICE = 'kiosk-crash'
const TOKEN = 'nats-crash-admin-token-51d2'

describeWithNatsServer('outpost serve SIGKILLed mid-publish (real nats-server -js)', () => {
  const nats = useNatsServer()
  const running: CliProcess[] = []
  const dir = tempDir('outpost-nats-cli')

  afterEach(async () => {
    for (const cli of running.splice(0)) {
      if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill('SIGKILL')
      await cli.exited
    }
    dir.remove()
  })

  const streamCount = async (connection: NatsConnection) =>
    (await (await jetstreamManager(connection)).streams.info('OUTPOST')).state.messages

  it('keeps every message id in the stream exactly once across the crash and restart', async () => {
    const { server, client } = await nats.start()
    const configFile = join(dir.path, 'config.json')
    writeFileSync(
      configFile,
      JSON.stringify({
        destinations: [
          { id: 'whisperr', vendor: 'whisperr', baseUrl: 'http://127.0.0.1:9', apiKey: 'wrk_test' },
          // Small batches, one at a time: publishing lasts long enough to be cut in the middle.
          {
            id: 'pipeline',
            vendor: 'nats',
            feeds: ['whisperr'],
            batchSize: 20,
            nats: { servers: [server.url] }
          }
        ],
        fleet: { deviceId: DEVICE },
        sync: { backoffBaseMs: 50, backoffMaxMs: 500, concurrency: 1 }
      })
    )
    const serve = async () => {
      const cli = await startCli(
        ['--config', configFile, '--data-dir', join(dir.path, 'data'), '--port', '0'],
        {
          OUTPOST_ADMIN_TOKEN: TOKEN
        }
      )
      running.push(cli)
      return cli
    }

    const first = await serve()
    await eventually(() => expect(first.output()).toMatch(/nats\s+fed by whisperr/))
    const ids: string[] = []
    for (let sent = 0; sent < TOTAL; sent += 500) {
      const events = Array.from({ length: 500 }, () => whisperrEvent())
      ids.push(...events.map(messageIdOf))
      const response = await fetch(`${first.url}/whisperr/v1/events/batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ events })
      })
      expect(response.status).toBe(202)
    }
    await eventually(async () => expect(await streamCount(client)).toBeGreaterThan(1_000), 60_000)
    first.child.kill('SIGKILL')
    expect(await first.exited).toBe('SIGKILL')
    // Killed while publishing: part of the events are in the stream, the rest are not.
    expect(await streamCount(client)).toBeLessThan(TOTAL)

    const second = await serve()
    // Outpost has recorded every event as sent: nothing is left to publish again.
    await eventually(
      async () => {
        const response = await fetch(`${second.url}/api/stats`, {
          headers: { authorization: `Bearer ${TOKEN}` }
        })
        const stats = (await response.json()) as {
          destinations: Array<{ id: string; counts: { sent: number } }>
        }
        expect(stats.destinations.find((destination) => destination.id === 'pipeline')?.counts.sent).toBe(
          TOTAL
        )
      },
      120_000,
      'every event recorded as published'
    )
    const messages = await readStream(client, 'OUTPOST')
    expect(messages).toHaveLength(TOTAL)
    const msgIds = new Set(messages.map((message) => message.msgId))
    expect(msgIds.size).toBe(TOTAL)
    expect(msgIds).toEqual(new Set(ids.map((id) => `${DEVICE}:whisperr:${id}`)))
  })
})
