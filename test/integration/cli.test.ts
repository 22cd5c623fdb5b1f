import { execFile } from 'node:child_process'
import { existsSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createHttpClient } from '../../src/shared/http-client'
import { startMockWhisperr, type MockWhisperr } from '../mocks/whisperr'
import { CLI, startCli, type CliProcess } from '../support/cli-process'
import { eventually, tempDir } from '../support/temp'
import { messageIdOf, whisperrEvent } from '../support/whisperr-events'

const API_KEY = 'wk_cli_test'
const TOKEN = 'cli-admin-token-9f4c2e71'

describe('outpost serve (headless, real process)', () => {
  let upstream: MockWhisperr
  let dir: ReturnType<typeof tempDir>
  let configFile: string
  const running: CliProcess[] = []

  beforeEach(async () => {
    upstream = await startMockWhisperr({ apiKey: API_KEY })
    dir = tempDir('outpost-cli')
    configFile = join(dir.path, 'config.json')
    writeFileSync(
      configFile,
      JSON.stringify({
        ingest: { host: '127.0.0.1', port: 8787, keys: [] },
        destinations: [
          { id: 'whisperr', vendor: 'whisperr', baseUrl: upstream.url, apiKeyEnv: 'TEST_WHISPERR_KEY' }
        ],
        sync: { backoffBaseMs: 20, backoffMaxMs: 300 }
      })
    )
  })
  afterEach(async () => {
    for (const cli of running.splice(0)) {
      if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill('SIGKILL')
      await cli.exited
    }
    await upstream.close()
    dir.remove()
  })

  async function serve(): Promise<CliProcess> {
    const cli = await startCli(
      ['--config', configFile, '--data-dir', join(dir.path, 'data'), '--port', '0'],
      {
        TEST_WHISPERR_KEY: API_KEY,
        OUTPOST_ADMIN_TOKEN: TOKEN
      }
    )
    running.push(cli)
    return cli
  }

  const post = (cli: CliProcess, path: string, body: unknown) =>
    fetch(cli.url + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body)
    })

  it('delivers 1,000 batched and 200 single events exactly once, and a repost adds nothing', async () => {
    const cli = await serve()
    const batches = Array.from({ length: 10 }, () => Array.from({ length: 100 }, () => whisperrEvent()))
    const singles = Array.from({ length: 200 }, () => whisperrEvent())
    const send = () =>
      Promise.all([
        ...batches.map((events) => post(cli, '/whisperr/v1/events/batch', { events })),
        ...singles.map((event) => post(cli, '/whisperr/v1/events/track', event))
      ])
    const responses = await send()
    expect(responses.map((response) => response.status)).toEqual(Array(210).fill(202))

    const all = [...batches.flat(), ...singles].map(messageIdOf)
    await upstream.waitFor(() => upstream.deliveries.size === 1200, 30_000, 'all 1,200 delivered')
    expect([...upstream.deliveries.keys()].sort()).toEqual([...all].sort())
    expect([...upstream.deliveries.values()].every((count) => count === 1)).toBe(true)

    const reposted = await send()
    expect(reposted.every((response) => response.status === 202)).toBe(true)
    const api = createHttpClient({ baseUrl: cli.url, token: TOKEN })
    const stats = await api.getStats({})
    expect(stats.counts.sent + stats.counts.sending + stats.counts.queued).toBe(1200)
    expect(upstream.deliveries.size).toBe(1200)
    expect([...upstream.deliveries.values()].every((count) => count === 1)).toBe(true)
    expect(cli.output()).toMatch(/whisperr\s+http:\/\/127\.0\.0\.1:\d+\/whisperr/)
  })

  it('after SIGKILL during ingestion, every acknowledged event is kept and delivered after restart', async () => {
    await upstream.stop()
    const cli = await serve()
    const acknowledged: string[] = []
    let killed = false
    const client = async () => {
      while (!killed) {
        const events = Array.from({ length: 20 }, () => whisperrEvent())
        try {
          const response = await post(cli, '/whisperr/v1/events/batch', { events })
          if (response.status === 202) acknowledged.push(...events.map(messageIdOf))
        } catch {
          return // the collector is gone: this request was never acknowledged
        }
      }
    }
    const clients = [client(), client(), client(), client()]
    await eventually(() => expect(acknowledged.length).toBeGreaterThan(400), 20_000)
    cli.child.kill('SIGKILL')
    killed = true
    await Promise.all(clients)
    expect(await cli.exited).toBe('SIGKILL')

    await upstream.restart()
    await serve()
    await upstream.waitFor(
      () => acknowledged.every((id) => upstream.deliveries.has(id)),
      30_000,
      `all ${acknowledged.length} acknowledged events delivered`
    )
    expect([...upstream.deliveries.values()].every((count) => count === 1)).toBe(true)
  })

  it('shuts down cleanly on SIGTERM and releases its data folder', async () => {
    const cli = await serve()
    const response = await post(cli, '/whisperr/v1/events/track', whisperrEvent())
    expect(response.status).toBe(202)
    cli.child.kill('SIGTERM')
    expect(await cli.exited).toBe(0)
    expect(cli.output()).toMatch(/SIGTERM, shutting down/)
    expect(existsSync(join(dir.path, 'data', 'outpost.lock'))).toBe(false)
  })

  it('serves the web console at / with a strict CSP and prints a one-time login link, never the token', async () => {
    const cli = await serve()
    const page = await fetch(`${cli.url}/`)
    expect(page.status).toBe(200)
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'self'/)
    expect(await page.text()).toMatch(/<div id="root"/)
    const link = await eventually(() => {
      const found = new RegExp(`Console: (${cli.url}/login\\?code=[\\w-]+) \\(one-time`).exec(
        cli.output()
      )?.[1]
      if (!found) throw new Error(`no login link in:\n${cli.output()}`)
      return found
    })
    await eventually(() => expect(cli.output()).toMatch(/Admin API token: the value of OUTPOST_ADMIN_TOKEN/))
    expect(cli.output()).toMatch(/another link: POST .*\/api\/login-link/)
    expect(cli.output()).not.toContain(TOKEN)

    const login = await fetch(link, { redirect: 'manual' })
    expect(login.status).toBe(303)
    expect(login.headers.get('set-cookie')).toMatch(
      /^outpost_session=[\w-]+; HttpOnly; SameSite=Strict; Path=\/$/
    )
    expect((await fetch(link, { redirect: 'manual' })).status).toBe(401)
  })

  it('prints a token it generated, which then opens the admin API', async () => {
    const cli = await startCli(
      ['--config', configFile, '--data-dir', join(dir.path, 'data'), '--port', '0'],
      {
        OUTPOST_ADMIN_TOKEN: ''
      }
    )
    running.push(cli)
    const token = await eventually(() => {
      const found = /Admin API token: (\S+) \(generated/.exec(cli.output())?.[1]
      if (!found) throw new Error(`no generated token in:\n${cli.output()}`)
      return found
    })
    expect((await createHttpClient({ baseUrl: cli.url, token }).getStats({})).destinations).toHaveLength(1)
  })

  it('refuses to start with an OUTPOST_ADMIN_TOKEN shorter than 16 characters, saying so', async () => {
    const short = startCli(['--config', configFile, '--data-dir', join(dir.path, 'data'), '--port', '0'], {
      OUTPOST_ADMIN_TOKEN: 'fifteen-chars15'
    })
    await expect(short).rejects.toThrow(/OUTPOST_ADMIN_TOKEN is 15 characters long; use at least 16/)
    await expect(short).rejects.not.toThrow(/fifteen-chars15/)
  })

  it('refuses a second collector on the same data folder', async () => {
    await serve()
    await expect(serve()).rejects.toThrow(/Another Outpost \(pid \d+ on .+, since .+\) is using/)
  })

  it('runs without --config: one destination per vendor, holding events until a key is set', async () => {
    const cli = await startCli(['--data-dir', join(dir.path, 'defaults'), '--port', '0'], {
      OUTPOST_ADMIN_TOKEN: TOKEN,
      WHISPERR_API_KEY: ''
    })
    running.push(cli)
    const api = createHttpClient({ baseUrl: cli.url, token: TOKEN })
    const stats = await api.getStats({})
    expect(stats.destinations.map((d) => d.vendorLabel)).toEqual([
      'Whisperr',
      'Embeddables',
      'Weespin',
      'Flywheel',
      'UserFlux'
    ])
    expect(stats.destinations.every((d) => d.id === d.vendor && d.hold === 'not_configured')).toBe(true)
    expect((await post(cli, '/whisperr/v1/events/track', whisperrEvent())).status).toBe(202)
    await eventually(async () => expect((await api.getStats({})).counts.queued).toBe(1))
  })

  it('takes its whole config from OUTPOST_CONFIG_JSON, as an MDM tool deploys it, and names the device', async () => {
    const config = {
      fleet: { deviceId: 'kiosk-0042' },
      destinations: [
        { id: 'shop', vendor: 'whisperr', baseUrl: upstream.url, apiKeyEnv: 'TEST_WHISPERR_KEY' }
      ]
    }
    const cli = await startCli(['--data-dir', join(dir.path, 'provisioned'), '--port', '0'], {
      OUTPOST_CONFIG_JSON: JSON.stringify(config),
      TEST_WHISPERR_KEY: API_KEY,
      OUTPOST_ADMIN_TOKEN: TOKEN
    })
    running.push(cli)
    await eventually(() =>
      expect(cli.output()).toContain(
        'Config: the OUTPOST_CONFIG_JSON environment variable; device kiosk-0042'
      )
    )
    const stats = await createHttpClient({ baseUrl: cli.url, token: TOKEN }).getStats({})
    expect(stats.deviceId).toBe('kiosk-0042')
    expect(stats.destinations.map((d) => d.id)).toEqual(['shop'])
    const event = whisperrEvent()
    expect((await post(cli, '/shop/v1/events/track', event)).status).toBe(202)
    await eventually(() => expect(upstream.received.has(messageIdOf(event))).toBe(true))
  })

  it('rejects an invalid config with a clear message', async () => {
    writeFileSync(configFile, JSON.stringify({ destinations: [{ id: 'x', vendor: 'nosuch' }] }))
    await expect(serve()).rejects.toThrow(/not a valid Outpost config: vendor "nosuch" .* is not supported/)
  })
})

describe('outpost check-config (offline, real process)', () => {
  const checkConfig = (args: string[], env: Record<string, string> = {}) =>
    promisify(execFile)(process.execPath, [CLI, 'check-config', ...args], {
      env: { ...process.env, ...env }
    }).then(
      ({ stdout }) => ({ code: 0, stdout, stderr: '' }),
      (error: { code: number; stdout: string; stderr: string }) => error
    )

  it('prints what a valid file sets up and exits 0; names the fault of an invalid one and exits 1', async () => {
    const dir = tempDir('outpost-check-config')
    try {
      const good = join(dir.path, 'kiosk.json')
      writeFileSync(
        good,
        JSON.stringify({ fleet: { deviceId: 'kiosk-9' }, destinations: [{ id: 'w', vendor: 'whisperr' }] })
      )
      const valid = await checkConfig([good])
      expect(valid.code).toBe(0)
      expect(valid.stdout).toContain(`${good}: valid`)
      expect(valid.stdout).toMatch(/device\s+kiosk-9/)
      const bad = join(dir.path, 'bad.json')
      writeFileSync(bad, '{"destinations": [}')
      const invalid = await checkConfig([bad])
      expect(invalid.code).toBe(1)
      expect(invalid.stderr).toContain(`config file ${bad} is not valid JSON`)
      const fromEnv = await checkConfig([], { OUTPOST_CONFIG: good })
      expect(fromEnv.stdout).toContain(`${good} (from OUTPOST_CONFIG): valid`)
      expect(existsSync(join(dir.path, 'data'))).toBe(false)
    } finally {
      dir.remove()
    }
  })
})

describe('the package bin (npx outpost)', () => {
  it('is executable after a build and runs by its own path, through its shebang', async () => {
    expect(statSync(CLI).mode & 0o111).toBe(0o111)
    const { stdout } = await promisify(execFile)(CLI, ['--help'])
    expect(stdout).toMatch(/^Usage: outpost serve/)
  })
})
