import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startCli, type CliProcess } from '../support/cli-process'
import { tempDir } from '../support/temp'
import { fuzzCollector } from './fuzzer'

/**
 * The fuzzer against the built `outpost serve` in its own process, so a crash shows as a crash.
 * `npm test` sends a few hundred requests; `npm run fuzz` a few thousand (OUTPOST_FUZZ_REQUESTS,
 * OUTPOST_FUZZ_SEED). No destination has a vendor key: everything accepted stays in the outbox,
 * where it is counted.
 */

const REQUESTS = Number(process.env.OUTPOST_FUZZ_REQUESTS ?? 400)
const SEED = Number(process.env.OUTPOST_FUZZ_SEED ?? 1)
const ADMIN_TOKEN = 'fuzz-admin-token-0123456789'
/** Growth of resident memory over the run that still counts as bounded. */
const RSS_GROWTH_ALLOWED = 256 * 1024 * 1024

function residentBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024
}

describe('fuzzing every route of a running collector', () => {
  let dir: ReturnType<typeof tempDir>
  let cli: CliProcess
  let exitCode: number | string | null = null

  beforeAll(async () => {
    dir = tempDir('outpost-fuzz')
    const config = join(dir.path, 'outpost.json')
    const vendors = ['whisperr', 'userflux', 'weespin', 'flywheel', 'embeddables']
    writeFileSync(config, JSON.stringify({ destinations: vendors.map((vendor) => ({ id: vendor, vendor })) }))
    cli = await startCli(['--config', config, '--data-dir', join(dir.path, 'data'), '--port', '0'], {
      OUTPOST_ADMIN_TOKEN: ADMIN_TOKEN
    })
    void cli.exited.then((code) => (exitCode = code))
  })
  afterAll(async () => {
    cli.child.kill('SIGTERM')
    await cli.exited
    dir.remove()
  })

  it(`answers ${REQUESTS} mutated requests without a 5xx or a crash, storing exactly what it accepted`, async () => {
    const pid = cli.child.pid as number
    const report = await fuzzCollector(
      {
        url: cli.url,
        adminToken: ADMIN_TOKEN,
        rss: () => (exitCode === null && process.platform === 'linux' ? residentBytes(pid) : 0),
        alive: () => exitCode === null
      },
      REQUESTS,
      SEED
    )
    console.info(
      `fuzz seed ${report.seed}: ${report.requests} requests, statuses ${JSON.stringify(report.byStatus)}, ` +
        `${report.acceptedEvents} events accepted, ${report.storedEvents} stored, ` +
        `RSS ${(report.rssStartBytes / 2 ** 20).toFixed(0)} -> ${(report.rssEndBytes / 2 ** 20).toFixed(0)} MiB`
    )
    expect(report.alive, cli.output()).toBe(true)
    expect(report.serverErrors).toEqual([])
    expect(report.networkErrors).toEqual([])
    expect(report.storedEvents).toBe(report.acceptedEvents)
    expect(report.acceptedEvents).toBeGreaterThan(0)
    expect(report.rssEndBytes - report.rssStartBytes).toBeLessThan(RSS_GROWTH_ALLOWED)
  })
})
