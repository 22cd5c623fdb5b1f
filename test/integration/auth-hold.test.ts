import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startCollector, type Collector } from '../../src/main/collector'
import { parseConfig, type DestinationConfig } from '../../src/main/config'
import { openKeyStore, PLAIN_CIPHER } from '../../src/main/config/keys'
import { createHttpClient } from '../../src/shared/http-client'
import type { DestinationSummary } from '../../src/shared/model'
import { startMockWhisperr, type MockWhisperr } from '../mocks/whisperr'
import { eventually, tempDir } from '../support/temp'
import { whisperrEvent } from '../support/whisperr-events'

const RIGHT_KEY = 'wk_live_right_7f3a9c2e51d84b06'
const WRONG_KEY = 'wk_live_wrong_c41d8e0b92a67f35'
/** Long enough that a test finishing in seconds proves the destination did not wait for a probe. */
const NO_PROBE_IN_TEST = { authRetryBaseMs: 600_000, authRetryMaxMs: 900_000 }

interface Run {
  destination: Partial<DestinationConfig>
  sync?: { authRetryBaseMs: number; authRetryMaxMs: number }
  env?: NodeJS.ProcessEnv
}

/**
 * Collectors started one after another on the same data folder, each with its own config and
 * environment: what a kiosk does when someone corrects the key in outpost.json or in the
 * environment and restarts it.
 */
describe('a refused key: the hold probes by itself and ends with a different key', () => {
  let upstream: MockWhisperr
  let dir: ReturnType<typeof tempDir>
  let collector: Collector | null = null

  beforeEach(async () => {
    upstream = await startMockWhisperr({ apiKey: RIGHT_KEY })
    dir = tempDir('outpost-auth')
  })
  afterEach(async () => {
    await collector?.close()
    collector = null
    await upstream.close()
    dir.remove()
  })

  async function start(run: Run): Promise<void> {
    await collector?.close()
    const config = parseConfig({
      ingest: { host: '127.0.0.1', port: 0 },
      destinations: [{ id: 'whisperr', vendor: 'whisperr', baseUrl: upstream.url, ...run.destination }],
      sync: { timeoutMs: 2_000, backoffBaseMs: 20, backoffMaxMs: 200, ...(run.sync ?? NO_PROBE_IN_TEST) }
    })
    collector = await startCollector({
      searchIndex: false,
      config,
      dataDir: dir.path,
      port: 0,
      adminToken: 'test-token',
      rendererDir: null,
      env: run.env ?? {}
    })
  }
  const api = () => createHttpClient({ baseUrl: (collector as Collector).url, token: 'test-token' })
  const summary = async (): Promise<DestinationSummary> => (await api().getStats({})).destinations[0]!
  const track = async () => {
    const response = await fetch(`${(collector as Collector).url}/whisperr/v1/events/track`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(whisperrEvent())
    })
    expect(response.status).toBe(202)
  }
  const heldForAuth = () =>
    eventually(async () => {
      const current = await summary()
      expect(current.hold).toBe('auth')
      return current
    })

  it('holds on a 401, shows when it probes, and delivers once the vendor accepts again, with no one acting', async () => {
    await start({ destination: { apiKey: RIGHT_KEY }, sync: { authRetryBaseMs: 300, authRetryMaxMs: 600 } })
    upstream.setFault({ type: 'status', status: 401, body: { error: 'key revoked' } })
    await track()

    const held = await heldForAuth()
    expect(held.holdReason).toMatch(/refused the API key \(401/)
    expect(held.holdReason).toMatch(/tries again by itself/)
    expect(held.counts.queued).toBe(1)
    expect(Date.parse(held.nextAttemptAt ?? '')).toBeGreaterThan(Date.now())

    // Two probes by itself, each refused: the hold stays and the next probe waits again.
    await upstream.waitFor((requests) => requests.length >= 3, 5_000, 'two probes')
    const [first, second, third] = upstream.requests
    expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(200)
    expect(third!.receivedAt - second!.receivedAt).toBeGreaterThanOrEqual(200)
    expect((await summary()).hold).toBe('auth')

    upstream.clearFaults()
    await eventually(async () => expect((await summary()).counts.sent).toBe(1), 5_000, 'delivered by a probe')
    expect(await summary()).toMatchObject({ hold: null, holdReason: null })
    expect(upstream.received.size).toBe(1)
  })

  it('lifts the hold at start and delivers at once when the config names another key', async () => {
    await start({ destination: { apiKey: WRONG_KEY } })
    await track()
    await heldForAuth()

    await start({ destination: { apiKey: RIGHT_KEY } })
    expect((await summary()).hold).not.toBe('auth')
    await eventually(() => expect(upstream.received.size).toBe(1), 5_000, 'delivered after restart')
    expect((await summary()).hold).toBeNull()
  })

  it('lifts the hold at start when the environment variable holds another key', async () => {
    const destination = { apiKeyEnv: 'OUTPOST_TEST_WHISPERR_KEY' }
    await start({ destination, env: { OUTPOST_TEST_WHISPERR_KEY: WRONG_KEY } })
    await track()
    await heldForAuth()

    await start({ destination, env: { OUTPOST_TEST_WHISPERR_KEY: RIGHT_KEY } })
    await eventually(() => expect(upstream.received.size).toBe(1), 5_000, 'delivered after restart')
  })

  it('lifts the hold at start when keys.json holds another key than the one refused', async () => {
    await start({ destination: {} })
    await api().setApiKey({ id: 'whisperr', apiKey: WRONG_KEY })
    await track()
    await heldForAuth()
    await collector?.close()
    collector = null

    openKeyStore(join(dir.path, 'keys.json'), PLAIN_CIPHER).set('whisperr', RIGHT_KEY)
    await start({ destination: {} })
    await eventually(() => expect(upstream.received.size).toBe(1), 5_000, 'delivered after restart')
  })

  it('keeps the hold and its probe time across a restart with the same key, and probes no sooner', async () => {
    const sync = { authRetryBaseMs: 2_000, authRetryMaxMs: 4_000 }
    await start({ destination: { apiKey: WRONG_KEY }, sync })
    await track()
    const held = await heldForAuth()
    expect(upstream.requests).toHaveLength(1)

    await start({ destination: { apiKey: WRONG_KEY }, sync })
    const afterRestart = await summary()
    expect(afterRestart).toMatchObject({ hold: 'auth', nextAttemptAt: held.nextAttemptAt })
    await track()
    expect(upstream.requests).toHaveLength(1)

    // The probe comes when it was scheduled before the restart, not at start.
    await upstream.waitFor((requests) => requests.length >= 2, 6_000, 'the scheduled probe')
    expect(upstream.requests[1]!.receivedAt).toBeGreaterThanOrEqual(Date.parse(held.nextAttemptAt!) - 50)
    await eventually(async () => expect((await summary()).hold).toBe('auth'))
  })

  it('probes at once a hold kept from before holds knew their key, and ends it when the key works', async () => {
    await start({ destination: { apiKey: RIGHT_KEY } })
    await collector?.close()
    collector = null
    const db = new Database(join(dir.path, 'outbox.sqlite'))
    db.prepare(
      `INSERT INTO destination_state (id, auth_hold) VALUES ('whisperr', 'Whisperr refused the API key (401)')`
    ).run()
    db.close()

    await start({ destination: { apiKey: RIGHT_KEY } })
    expect((await summary()).hold).toBe('auth')
    await track()
    await eventually(() => expect(upstream.received.size).toBe(1), 5_000, 'delivered by the first probe')
    expect((await summary()).hold).toBeNull()
  })

  it('stores a fingerprint of the refused key, never the key', async () => {
    await start({ destination: { apiKey: WRONG_KEY } })
    await track()
    await heldForAuth()
    await collector?.close()
    collector = null

    const database = join(dir.path, 'outbox.sqlite')
    const db = new Database(database, { readonly: true })
    const row = db
      .prepare(`SELECT auth_key_fingerprint FROM destination_state WHERE id = 'whisperr'`)
      .get() as {
      auth_key_fingerprint: string | null
    }
    db.close()
    expect(row.auth_key_fingerprint).toMatch(/^[0-9a-f]{16}$/)
    for (const file of readdirSync(dir.path).filter((name) => name.startsWith('outbox.sqlite'))) {
      const bytes = readFileSync(join(dir.path, file))
      expect(bytes.includes(WRONG_KEY), `${file} holds the key`).toBe(false)
    }
  })
})
