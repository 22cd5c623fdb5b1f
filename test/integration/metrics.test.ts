import { request as httpRequest } from 'node:http'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startCollector, type Collector } from '../../src/main/collector'
import { parseConfig, type DestinationConfig } from '../../src/main/config'
import { createHttpClient } from '../../src/shared/http-client'
import type { OutpostApi } from '../../src/shared/api'
import type { StatusCounts } from '../../src/shared/model'
import { startMockWhisperr, type MockWhisperr } from '../mocks/whisperr'
import type { RecordedRequest } from '../mocks/mock-upstream'
import { scrape, valueOf, type Sample } from '../support/prometheus-text'
import { eventually, tempDir } from '../support/temp'
import { whisperrEvent } from '../support/whisperr-events'

const KEY = 'wk_live_metrics_7f3a9c2e51d84b06'
const DEVICE = 'kiosk-17'
const TRACK = '/v1/events/track'

const waiting = (counts: StatusCounts) => counts.queued + counts.retrying + counts.sending

/** What each upstream request came to, as the mock saw it: the worker's outcome names. */
function outcomeOf(request: RecordedRequest): string {
  if (request.fault?.type === 'reset' || request.fault?.type === 'timeout') return 'no_answer'
  if (request.status === null) return 'unanswered'
  if (request.status < 300) return 'ok'
  if (request.status === 401 || request.status === 403) return 'auth'
  if (request.status === 429 || request.status >= 500) return 'retry'
  return 'permanent'
}

function tally(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1
  return counts
}

describe('GET /metrics, /healthz and /readyz', () => {
  let upstream: MockWhisperr
  let dir: ReturnType<typeof tempDir>
  let collector: Collector | null = null
  let api: OutpostApi

  beforeEach(async () => {
    upstream = await startMockWhisperr({ apiKey: KEY })
    dir = tempDir('outpost-metrics')
  })
  afterEach(async () => {
    await collector?.close()
    collector = null
    await upstream.close()
    dir.remove()
  })

  async function start(
    destinations: Partial<DestinationConfig>[],
    extra: Record<string, unknown> = {}
  ): Promise<Collector> {
    await collector?.close()
    const config = parseConfig({
      ingest: { host: '127.0.0.1', port: 0 },
      destinations: destinations.map((destination) => ({
        id: 'whisperr',
        vendor: 'whisperr',
        baseUrl: upstream.url,
        ...destination
      })),
      sync: { timeoutMs: 1_000, backoffBaseMs: 20, backoffMaxMs: 100, concurrency: 1 },
      fleet: { deviceId: DEVICE },
      ...extra
    })
    collector = await startCollector({
      config,
      dataDir: dir.path,
      port: 0,
      adminToken: 'test-token',
      rendererDir: null,
      env: {},
      searchIndex: false
    })
    api = createHttpClient({ baseUrl: collector.url, token: 'test-token' })
    return collector
  }

  const url = () => (collector as Collector).url
  const post = async (path: string, body: unknown) => {
    const response = await fetch(url() + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body)
    })
    await response.arrayBuffer()
    return response.status
  }
  const countsOf = async (id: string) =>
    (await api.getStats({})).destinations.find((destination) => destination.id === id)!.counts
  /** A scrape with every destination's backlog age in it. */
  const scrapeWithAges = () =>
    eventually(async () => {
      const samples = await scrape(url())
      const ages = samples.filter((sample) => sample.name === 'outpost_backlog_oldest_age_seconds')
      expect(ages).toHaveLength((await api.getStats({})).destinations.length)
      return samples
    })
  /** The payload bytes the outbox holds for a destination in these statuses, counted from its rows. */
  const bytesIn = (destination: string, statuses: string[]) =>
    (collector as Collector).store.db
      .prepare(
        `SELECT coalesce(sum(bytes), 0) FROM outbox WHERE destination = ? AND status IN (${statuses.map(() => '?').join(', ')})`
      )
      .pluck()
      .get(destination, ...statuses) as number

  it('counts ingest and delivery as /api/stats, the outbox and the upstream saw them, every series labelled with the device', async () => {
    await start([{ apiKey: KEY }, { id: 'nokey' }])
    const firstPostAt = Date.now()
    for (let i = 0; i < 5; i++) expect(await post(`/whisperr${TRACK}`, whisperrEvent())).toBe(202)
    const batch = { events: [whisperrEvent(), whisperrEvent(), whisperrEvent()] }
    expect(await post('/whisperr/v1/events/batch', batch)).toBe(202)
    for (let i = 0; i < 2; i++) expect(await post(`/nokey${TRACK}`, whisperrEvent())).toBe(202)
    await eventually(async () => expect((await countsOf('whisperr')).sent).toBe(8))

    // The age is read by the reader's thread, which starts with its first read: absent until then.
    await scrapeWithAges()
    const scrapedFrom = Date.now()
    const samples = await scrape(url())
    const scrapedTo = Date.now()
    const whisperr = { destination: 'whisperr', vendor: 'whisperr' }
    const nokey = { destination: 'nokey', vendor: 'whisperr' }
    expect(valueOf(samples, 'outpost_events_received_total', whisperr)).toBe(8)
    expect(valueOf(samples, 'outpost_events_received_total', nokey)).toBe(2)
    expect(valueOf(samples, 'outpost_events_delivered_total', whisperr)).toBe(8)
    expect(valueOf(samples, 'outpost_events_failed_total', whisperr)).toBe(0)
    const requests = tally(upstream.requests.map(outcomeOf))
    expect(valueOf(samples, 'outpost_delivery_attempts_total', { ...whisperr, outcome: 'ok' })).toBe(
      requests.ok
    )
    expect(valueOf(samples, 'outpost_upstream_latency_seconds_count', whisperr)).toBe(requests.ok)
    expect(valueOf(samples, 'outpost_ingest_requests_total', { ...whisperr, code: '202' })).toBe(6)
    expect(valueOf(samples, 'outpost_ingest_requests_total', { ...nokey, code: '202' })).toBe(2)
    expect(valueOf(samples, 'outpost_group_commit_events_sum')).toBe(10)
    expect(valueOf(samples, 'outpost_group_commit_requests_sum')).toBe(8)
    expect(valueOf(samples, 'outpost_group_commit_duration_seconds_count')).toBe(
      valueOf(samples, 'outpost_group_commit_requests_count')
    )
    expect(valueOf(samples, 'outpost_group_commit_duration_seconds_count')).toBeGreaterThan(0)

    const stats = await countsOf('nokey')
    expect(valueOf(samples, 'outpost_backlog_events', nokey)).toBe(waiting(stats))
    expect(valueOf(samples, 'outpost_backlog_events', nokey)).toBe(2)
    expect(valueOf(samples, 'outpost_backlog_bytes', nokey)).toBe(
      bytesIn('nokey', ['queued', 'retrying', 'sending'])
    )
    expect(valueOf(samples, 'outpost_backlog_bytes', nokey)).toBeGreaterThan(0)
    expect(valueOf(samples, 'outpost_backlog_events', whisperr)).toBe(0)
    expect(valueOf(samples, 'outpost_backlog_oldest_age_seconds', whisperr)).toBe(0)
    // The oldest waiting event's age as the outbox has it, at the time of the scrape.
    const oldest = (collector as Collector).store.db
      .prepare(
        `SELECT min(received_at) FROM outbox WHERE destination = 'nokey' AND status IN ('queued', 'retrying', 'sending')`
      )
      .pluck()
      .get() as number
    const age = valueOf(samples, 'outpost_backlog_oldest_age_seconds', nokey)
    expect(age).toBeGreaterThanOrEqual((scrapedFrom - oldest) / 1000)
    expect(age).toBeLessThanOrEqual((scrapedTo - oldest) / 1000)
    expect(age).toBeLessThanOrEqual((scrapedTo - firstPostAt) / 1000)
    expect(valueOf(samples, 'outpost_destination_hold', { ...nokey, hold: 'not_configured' })).toBe(1)
    for (const hold of ['paused', 'auth', 'offline', 'not_configured'])
      expect(valueOf(samples, 'outpost_destination_hold', { ...whisperr, hold })).toBe(0)
    expect(valueOf(samples, 'outpost_outbox_events')).toBe(2)
    expect(valueOf(samples, 'outpost_outbox_max_events')).toBe(1_000_000)

    // Process memory and event-loop lag come with the same registry, labelled the same.
    expect(valueOf(samples, 'process_resident_memory_bytes')).toBeGreaterThan(0)
    expect(samples.some((sample) => sample.name === 'nodejs_eventloop_lag_p99_seconds')).toBe(true)
    expect(samples.filter((sample) => sample.labels.device !== DEVICE)).toEqual([])
  })

  it('counts retries, answers that never came, refusals for good and discards, and the outbox agrees', async () => {
    await start([{ apiKey: KEY }])
    upstream.failNext(1, { type: 'status', status: 503 })
    expect(await post(`/whisperr${TRACK}`, whisperrEvent())).toBe(202)
    await eventually(async () => expect((await countsOf('whisperr')).sent).toBe(1))
    upstream.failNext(1, { type: 'reset' })
    expect(await post(`/whisperr${TRACK}`, whisperrEvent())).toBe(202)
    await eventually(async () => expect((await countsOf('whisperr')).sent).toBe(2))
    upstream.failNext(2, { type: 'status', status: 400, body: { error: 'invalid' } })
    expect(await post(`/whisperr${TRACK}`, whisperrEvent())).toBe(202)
    expect(await post(`/whisperr${TRACK}`, whisperrEvent())).toBe(202)
    await eventually(async () => expect((await countsOf('whisperr')).failed).toBe(2))

    const labels = { destination: 'whisperr', vendor: 'whisperr' }
    let samples = await scrape(url())
    const requests = tally(upstream.requests.map(outcomeOf))
    expect(requests).toEqual({ ok: 2, retry: 1, no_answer: 1, permanent: 2 })
    for (const outcome of ['ok', 'retry', 'no_answer', 'permanent', 'auth'])
      expect(valueOf(samples, 'outpost_delivery_attempts_total', { ...labels, outcome }), outcome).toBe(
        requests[outcome] ?? 0
      )
    // Latency is of answers: the reset got none.
    expect(valueOf(samples, 'outpost_upstream_latency_seconds_count', labels)).toBe(5)
    expect(valueOf(samples, 'outpost_events_delivered_total', labels)).toBe(2)
    expect(valueOf(samples, 'outpost_events_failed_total', labels)).toBe(2)
    expect(valueOf(samples, 'outpost_failed_events', labels)).toBe((await countsOf('whisperr')).failed)
    expect(valueOf(samples, 'outpost_outbox_bytes')).toBe(bytesIn('whisperr', ['failed']))

    const failed = await api.listEvents({ status: 'failed' })
    await api.discardEvents({ ids: failed.events.map((event) => event.id) })
    samples = await scrape(url())
    expect(valueOf(samples, 'outpost_events_discarded_total', labels)).toBe(2)
    expect(valueOf(samples, 'outpost_failed_events', labels)).toBe(0)
    // A counter never goes down: the failures stay counted after the events were discarded.
    expect(valueOf(samples, 'outpost_events_failed_total', labels)).toBe(2)
  })

  it('shows a paused destination, and one the upstream does not answer as offline, until it answers again', async () => {
    await start([{ apiKey: KEY }])
    const labels = { destination: 'whisperr', vendor: 'whisperr' }
    const holds = async () => {
      const samples = await scrape(url())
      return Object.fromEntries(
        ['paused', 'not_configured', 'auth', 'offline'].map((hold) => [
          hold,
          valueOf(samples, 'outpost_destination_hold', { ...labels, hold })
        ])
      )
    }
    await api.pauseDestination({ id: 'whisperr' })
    expect((await api.getStats({})).destinations[0]!.hold).toBe('paused')
    expect(await holds()).toEqual({ paused: 1, not_configured: 0, auth: 0, offline: 0 })
    await api.resumeDestination({ id: 'whisperr' })

    await upstream.stop()
    expect(await post(`/whisperr${TRACK}`, whisperrEvent())).toBe(202)
    await eventually(async () => expect((await api.getStats({})).destinations[0]!.hold).toBe('offline'))
    expect(await holds()).toEqual({ paused: 0, not_configured: 0, auth: 0, offline: 1 })
    const samples = await scrape(url())
    expect(
      valueOf(samples, 'outpost_delivery_attempts_total', { ...labels, outcome: 'no_answer' })
    ).toBeGreaterThan(0)
    expect(valueOf(samples, 'outpost_backlog_events', labels)).toBe(waiting(await countsOf('whisperr')))

    await upstream.restart()
    await eventually(async () => expect((await countsOf('whisperr')).sent).toBe(1))
    expect(await holds()).toEqual({ paused: 0, not_configured: 0, auth: 0, offline: 0 })
  })

  it('shows an auth hold with its backlog and age, and a restart starts the counters again while the gauges carry on', async () => {
    // A refused key, and no auth retry within the test: the hold stays.
    const startWithRefusedKey = () =>
      start([{ apiKey: 'wk_live_wrong_c41d8e0b92a67f35' }], {
        sync: {
          timeoutMs: 1_000,
          backoffBaseMs: 20,
          backoffMaxMs: 100,
          authRetryBaseMs: 600_000,
          authRetryMaxMs: 900_000
        }
      })
    await startWithRefusedKey()
    for (let i = 0; i < 3; i++) expect(await post(`/whisperr${TRACK}`, whisperrEvent())).toBe(202)
    await eventually(async () => expect((await api.getStats({})).destinations[0]!.hold).toBe('auth'))
    const labels = { destination: 'whisperr', vendor: 'whisperr' }
    let samples = await scrapeWithAges()
    expect(valueOf(samples, 'outpost_destination_hold', { ...labels, hold: 'auth' })).toBe(1)
    expect(valueOf(samples, 'outpost_destination_hold', { ...labels, hold: 'offline' })).toBe(0)
    expect(valueOf(samples, 'outpost_delivery_attempts_total', { ...labels, outcome: 'auth' })).toBe(
      tally(upstream.requests.map(outcomeOf)).auth
    )
    expect(valueOf(samples, 'outpost_backlog_events', labels)).toBe(waiting(await countsOf('whisperr')))
    expect(valueOf(samples, 'outpost_backlog_events', labels)).toBe(3)
    expect(valueOf(samples, 'outpost_events_received_total', labels)).toBe(3)
    const ageBefore = valueOf(samples, 'outpost_backlog_oldest_age_seconds', labels)
    expect(ageBefore).toBeGreaterThan(0)

    // The same data folder, the same refused key: the hold and the backlog are the outbox's, the
    // counters the process's.
    await startWithRefusedKey()
    samples = await scrapeWithAges()
    expect(valueOf(samples, 'outpost_events_received_total', labels)).toBe(0)
    expect(valueOf(samples, 'outpost_delivery_attempts_total', { ...labels, outcome: 'auth' })).toBe(0)
    expect(valueOf(samples, 'outpost_destination_hold', { ...labels, hold: 'auth' })).toBe(1)
    expect(valueOf(samples, 'outpost_backlog_events', labels)).toBe(3)
    expect(valueOf(samples, 'outpost_backlog_oldest_age_seconds', labels)).toBeGreaterThanOrEqual(ageBefore)
  })

  it('counts refused requests by reason, and /readyz says 503 outbox_full at the bound while /healthz says ok', async () => {
    await start([{ id: 'nokey' }], { storage: { maxEvents: 2 } })
    const ready = async () => {
      const response = await fetch(`${url()}/readyz`)
      return { status: response.status, body: (await response.json()) as Record<string, unknown> }
    }
    expect(await ready()).toEqual({ status: 200, body: { status: 'ready' } })
    expect(await post(`/nokey${TRACK}`, '{"event_type":')).toBe(400)
    expect(await post(`/nokey${TRACK}`, whisperrEvent())).toBe(202)
    expect(await post(`/nokey${TRACK}`, whisperrEvent())).toBe(202)
    expect(await post(`/nokey${TRACK}`, whisperrEvent())).toBe(503)

    const notReady = await ready()
    expect(notReady.status).toBe(503)
    expect(notReady.body).toMatchObject({
      status: 'not_ready',
      error: 'outbox_full',
      problems: ['outbox_full']
    })
    expect(notReady.body.message).toContain('storage.maxEvents')
    const health = await fetch(`${url()}/healthz`)
    expect({ status: health.status, body: await health.json() }).toEqual({
      status: 200,
      body: { status: 'ok' }
    })

    const samples: Sample[] = await scrape(url())
    const labels = { destination: 'nokey' }
    expect(valueOf(samples, 'outpost_rejected_requests_total', { ...labels, reason: 'invalid_json' })).toBe(1)
    expect(valueOf(samples, 'outpost_rejected_requests_total', { ...labels, reason: 'outbox_full' })).toBe(1)
    expect(valueOf(samples, 'outpost_ingest_requests_total', { ...labels, code: '503' })).toBe(1)
    expect(valueOf(samples, 'outpost_ingest_requests_total', { ...labels, code: '400' })).toBe(1)
    expect(valueOf(samples, 'outpost_readiness_problem', { problem: 'outbox_full' })).toBe(1)
    expect(valueOf(samples, 'outpost_readiness_problem', { problem: 'disk_full' })).toBe(0)
  })

  it('says disk_full on /readyz and in the metrics while commits find no room, and ready again after the next commit that does', async () => {
    await start([{ id: 'nokey' }])
    const batch = () => ({
      events: Array.from({ length: 100 }, () => whisperrEvent({ properties: { padding: 'x'.repeat(300) } }))
    })
    expect(await post('/nokey/v1/events/batch', batch())).toBe(202)
    // A full disk for real: SQLite's max_page_count makes a write that needs a page fail with SQLITE_FULL.
    const db = (collector as Collector).store.db
    const pages = db.pragma('page_count', { simple: true }) as number
    db.pragma(`max_page_count = ${pages}`)
    let status = 202
    for (let attempt = 0; attempt < 50 && status === 202; attempt++)
      status = await post('/nokey/v1/events/batch', batch())
    expect(status).toBe(503)

    const readyz = await fetch(`${url()}/readyz`)
    expect(readyz.status).toBe(503)
    expect(await readyz.json()).toMatchObject({ error: 'disk_full', problems: ['disk_full'] })
    let samples = await scrape(url())
    expect(valueOf(samples, 'outpost_readiness_problem', { problem: 'disk_full' })).toBe(1)
    expect(
      valueOf(samples, 'outpost_rejected_requests_total', { destination: 'nokey', reason: 'disk_full' })
    ).toBe(1)

    db.pragma('max_page_count = 4294967294')
    expect(await post('/nokey/v1/events/batch', batch())).toBe(202)
    expect((await fetch(`${url()}/readyz`)).status).toBe(200)
    samples = await scrape(url())
    expect(valueOf(samples, 'outpost_readiness_problem', { problem: 'disk_full' })).toBe(0)
  })

  it('lets a scraper through the browser-access guard (no Origin, Host the address scraped) and still refuses a rebinding Host or a page', async () => {
    await start([{ apiKey: KEY }])
    const { hostname, port } = new URL(url())
    const get = (path: string, headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        const request = httpRequest({ host: hostname, port, method: 'GET', path, headers }, (response) => {
          response.resume()
          resolve(response.statusCode ?? 0)
        })
        request.on('error', reject)
        request.end()
      })
    for (const path of ['/metrics', '/healthz', '/readyz']) {
      expect(await get(path, { host: `127.0.0.1:${port}` }), path).toBe(200)
      expect(await get(path, { host: `localhost:${port}` }), path).toBe(200)
      expect(await get(path, { host: `evil.example:${port}` }), path).toBe(421)
      expect(await get(path, { host: `127.0.0.1:${port}`, origin: 'https://evil.example' }), path).toBe(403)
      // The address a fleet's scraper reaches the device at: no shared config could list each one.
      expect(await get(path, { host: `192.168.1.17:${port}` }), path).toBe(200)
      expect(await get(path, { host: `[fd00::17]:${port}` }), path).toBe(200)
    }
    // Only these three: the admin API and the console still answer loopback names and listed hosts.
    expect(
      await get('/api/stats', { host: `192.168.1.17:${port}`, authorization: 'Bearer test-token' })
    ).toBe(421)
    expect(await get('/', { host: `192.168.1.17:${port}` })).toBe(421)
    expect(await get('/metrics/x', { host: `192.168.1.17:${port}` })).toBe(421)
  })

  it('serves none of the three when metrics.enabled is false', async () => {
    await start([{ apiKey: KEY }], { metrics: { enabled: false } })
    for (const path of ['/metrics', '/healthz', '/readyz'])
      expect((await fetch(url() + path)).status, path).toBe(404)
  })
})
