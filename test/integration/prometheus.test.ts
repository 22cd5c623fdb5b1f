import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startCollector, type Collector } from '../../src/main/collector'
import { parseConfig } from '../../src/main/config'
import { createHttpClient } from '../../src/shared/http-client'
import { startMockWhisperr, type MockWhisperr } from '../mocks/whisperr'
import {
  prometheusInstalled,
  PROMETHEUS,
  startPrometheus,
  type PrometheusServer
} from '../support/prometheus-server'
import { eventually, tempDir } from '../support/temp'
import { whisperrEvent } from '../support/whisperr-events'

const KEY = 'wk_live_prometheus_7f3a9c2e51d84b'
const DEVICE = 'kiosk-prometheus'

if (!prometheusInstalled) {
  console.warn(
    `SKIPPED: the real-Prometheus test needs ${PROMETHEUS} (Debian's prometheus package; CI installs it)`
  )
}

/** The acceptance of issue 11: a real Prometheus scrapes Outpost, and its query of a backlog matches /api/stats. */
describe.skipIf(!prometheusInstalled)('a real Prometheus scraping the collector', () => {
  let upstream: MockWhisperr
  let outpostDir: ReturnType<typeof tempDir>
  let prometheusDir: ReturnType<typeof tempDir>
  let collector: Collector
  let prometheus: PrometheusServer | null = null

  beforeAll(async () => {
    upstream = await startMockWhisperr({ apiKey: KEY })
    outpostDir = tempDir('outpost-prom')
    prometheusDir = tempDir('prometheus')
    collector = await startCollector({
      config: parseConfig({
        ingest: { host: '127.0.0.1', port: 0 },
        // One destination delivers, one holds its events (no key): a backlog that stays put.
        destinations: [
          { id: 'whisperr', vendor: 'whisperr', baseUrl: upstream.url, apiKey: KEY },
          { id: 'kiosk-queue', vendor: 'whisperr', baseUrl: upstream.url }
        ],
        fleet: { deviceId: DEVICE }
      }),
      dataDir: outpostDir.path,
      port: 0,
      adminToken: 'test-token',
      rendererDir: null,
      env: {},
      searchIndex: false
    })
  })
  afterAll(async () => {
    await prometheus?.stop()
    await collector?.close()
    await upstream?.close()
    outpostDir?.remove()
    prometheusDir?.remove()
  })

  it('queries the backlog of a destination over its HTTP API, as /api/stats counts it', async () => {
    const post = (destination: string) =>
      fetch(`${collector.url}/${destination}/v1/events/track`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(whisperrEvent())
      }).then((response) => response.status)
    for (let i = 0; i < 7; i++) expect(await post('kiosk-queue')).toBe(202)
    for (let i = 0; i < 3; i++) expect(await post('whisperr')).toBe(202)
    const api = createHttpClient({ baseUrl: collector.url, token: 'test-token' })
    await eventually(async () => {
      const stats = await api.getStats({})
      expect(stats.destinations.find((destination) => destination.id === 'whisperr')!.counts.sent).toBe(3)
    })
    const counts = (await api.getStats({})).destinations.find(
      (destination) => destination.id === 'kiosk-queue'
    )!.counts
    const backlog = counts.queued + counts.retrying + counts.sending

    prometheus = await startPrometheus(prometheusDir.path, `127.0.0.1:${collector.port}`)
    await prometheus.targetsUp()
    const data = await eventually(async () => {
      const answer = await prometheus!.query('outpost_backlog_events{destination="kiosk-queue"}')
      expect(answer.result).toHaveLength(1)
      return answer
    }, 30_000)
    expect(data.resultType).toBe('vector')
    const [series] = data.result
    expect(series!.metric).toMatchObject({
      __name__: 'outpost_backlog_events',
      destination: 'kiosk-queue',
      vendor: 'whisperr',
      device: DEVICE,
      job: 'outpost'
    })
    expect(Number(series!.value[1])).toBe(backlog)
    expect(backlog).toBe(7)
    const delivered = await prometheus.query('outpost_events_delivered_total{destination="whisperr"}')
    expect(Number(delivered.result[0]!.value[1])).toBe(3)
  })
})
