import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { expect } from 'vitest'
import { eventually } from './temp'

/** Where Debian's prometheus package (CI installs it, .ci/run) puts the binaries. */
export const PROMETHEUS = '/usr/bin/prometheus'
export const PROMTOOL = '/usr/bin/promtool'
export const prometheusInstalled = existsSync(PROMETHEUS)
export const promtoolInstalled = existsSync(PROMTOOL)

/** A port free on 127.0.0.1 now: listened on as port 0, then closed. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

export interface PrometheusServer {
  url: string
  /** The answer's `data` of an instant query over the HTTP API. */
  query(
    expression: string
  ): Promise<{ resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] }>
  /** Resolves once every target of the scrape config is up (scraped without error). */
  targetsUp(timeoutMs?: number): Promise<void>
  stop(): Promise<void>
}

/**
 * A real Prometheus scraping `target` (host:port) every second, its storage and config in `dir`.
 * Its own log goes to a file there (shown when a wait fails).
 */
export async function startPrometheus(dir: string, target: string): Promise<PrometheusServer> {
  const config = join(dir, 'prometheus.yml')
  writeFileSync(
    config,
    [
      'global:',
      '  scrape_interval: 1s',
      '  scrape_timeout: 1s',
      'scrape_configs:',
      '  - job_name: outpost',
      '    static_configs:',
      `      - targets: ['${target}']`,
      ''
    ].join('\n')
  )
  const port = await freePort()
  let log = ''
  const child: ChildProcess = spawn(
    PROMETHEUS,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] }
  )
  child.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const url = `http://127.0.0.1:${port}`

  async function api<T>(path: string): Promise<T> {
    const response = await fetch(url + path)
    const body = (await response.json()) as { status: string; data: T; error?: string }
    if (body.status !== 'success') throw new Error(`${path}: ${body.error ?? response.status}`)
    return body.data
  }

  return {
    url,
    query: (expression) => api(`/api/v1/query?query=${encodeURIComponent(expression)}`),
    async targetsUp(timeoutMs = 30_000) {
      try {
        await eventually(
          async () => {
            const targets = await api<{ activeTargets: { health: string; lastError: string }[] }>(
              '/api/v1/targets'
            )
            expect(targets.activeTargets.length).toBeGreaterThan(0)
            for (const target of targets.activeTargets)
              expect(target, target.lastError).toMatchObject({ health: 'up' })
          },
          timeoutMs,
          'the Prometheus target up'
        )
      } catch (error) {
        throw new Error(`${(error as Error).message}\nPrometheus said:\n${log.slice(-4000)}`)
      }
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      await exited
    }
  }
}
