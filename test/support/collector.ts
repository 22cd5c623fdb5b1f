import { startCollector, type Collector } from '../../src/main/collector'
import { parseConfig, type DestinationConfig } from '../../src/main/config'
import { createHttpClient } from '../../src/shared/http-client'
import type { OutpostApi } from '../../src/shared/api'
import { tempDir } from './temp'

export interface TestCollector {
  collector: Collector
  api: OutpostApi
  url: string
  dataDir: string
  /** POSTs JSON to the collector; returns status, parsed body and headers. */
  post(
    path: string,
    body: unknown,
    headers?: Record<string, string>
  ): Promise<{ status: number; body: unknown; headers: Headers }>
  restart(): Promise<void>
  close(): Promise<void>
}

export interface TestCollectorOptions {
  destinations: DestinationConfig[]
  ingest?: { keys?: string[]; bodyLimitBytes?: number; allowedHosts?: string[] }
  storage?: { maxEvents?: number; maxBytes?: number; retentionDays?: number }
  sync?: {
    timeoutMs?: number
    backoffBaseMs?: number
    backoffMaxMs?: number
    concurrency?: number
    authRetryBaseMs?: number
    authRetryMaxMs?: number
  }
  networkAddresses?: () => string[]
  fleet?: { deviceId?: string }
  /** Keep the payload search index (a worker thread); off unless a test searches through it. */
  searchIndex?: boolean
}

/** A real collector on 127.0.0.1:0 with its own data folder and fast backoff. */
export async function startTestCollector(options: TestCollectorOptions): Promise<TestCollector> {
  const dir = tempDir('outpost-it')
  const config = parseConfig({
    ingest: { host: '127.0.0.1', port: 0, ...options.ingest },
    destinations: options.destinations,
    storage: options.storage,
    fleet: options.fleet,
    sync: { timeoutMs: 2_000, backoffBaseMs: 20, backoffMaxMs: 200, ...options.sync }
  })
  const start = () =>
    startCollector({
      config,
      dataDir: dir.path,
      port: 0,
      adminToken: 'test-token',
      rendererDir: null,
      env: {},
      networkAddresses: options.networkAddresses,
      searchIndex: options.searchIndex ?? false
    })
  let collector = await start()

  const handle: TestCollector = {
    collector,
    api: createHttpClient({ baseUrl: collector.url, token: 'test-token' }),
    url: collector.url,
    dataDir: dir.path,
    async post(path, body, headers = {}) {
      const response = await fetch(handle.url + path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body)
      })
      const text = await response.text()
      return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers }
    },
    async restart() {
      await collector.close()
      collector = await start()
      handle.collector = collector
      handle.url = collector.url
      handle.api = createHttpClient({ baseUrl: collector.url, token: 'test-token' })
    },
    async close() {
      await collector.close()
      dir.remove()
    }
  }
  return handle
}
