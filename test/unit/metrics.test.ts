import Fastify from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import type { MetricsConfig } from '../../src/main/config'
import { createReadiness, readinessAnswer } from '../../src/main/metrics/readiness'
import { createOutpostMetrics, type MetricsSources } from '../../src/main/metrics/registry'
import { isLoopbackPeer, registerMetricsRoutes } from '../../src/main/metrics/routes'
import { openStore, type Store } from '../../src/main/store'
import { createQueueHeadReads, QUEUE_HEAD_SQL } from '../../src/main/store/queue-heads'
import { newEvent } from '../support/outbox-events'
import { parsePrometheusText, valueOf } from '../support/prometheus-text'
import { tempDir } from '../support/temp'

const LIMITS = { maxEvents: 10, maxBytes: 10_000 }

function sources(overrides: Partial<MetricsSources> = {}): MetricsSources {
  return {
    deviceId: 'kiosk-1',
    destinations: [{ id: 'whisperr', vendor: 'whisperr' }],
    ledger: () => [],
    hold: () => null,
    queueHeads: async (ids) => ids.map((destination) => ({ destination, receivedAt: null })),
    problems: () => [],
    limits: LIMITS,
    now: Date.now,
    ...overrides
  }
}

describe('the metrics registry', () => {
  it('is the collector’s own: two collectors in one process keep their own counts and device labels', async () => {
    const first = createOutpostMetrics(sources({ deviceId: 'kiosk-1' }))
    const second = createOutpostMetrics(sources({ deviceId: 'kiosk-2' }))
    first.stored('whisperr', 3)
    second.stored('whisperr', 5)
    const labels = { destination: 'whisperr', vendor: 'whisperr' }
    const one = parsePrometheusText(await first.render())
    const two = parsePrometheusText(await second.render())
    expect(valueOf(one, 'outpost_events_received_total', { ...labels, device: 'kiosk-1' })).toBe(3)
    expect(valueOf(two, 'outpost_events_received_total', { ...labels, device: 'kiosk-2' })).toBe(5)
    first.close()
    second.close()
  })

  it('shows the backlog age from the reader’s heads, 0 when nothing waits, and none before the first read', async () => {
    const now = 1_000_000
    let answer: (() => void) | null = null
    let receivedAt: number | null = now - 90_000
    const metrics = createOutpostMetrics(
      sources({
        now: () => now,
        ledger: () => [{ destination: 'whisperr', status: 'queued', n: 4, bytes: 400 }],
        // The first read hangs (a reader busy with a long search): the scrape does not wait for ever.
        queueHeads: (ids) =>
          answer === null
            ? new Promise((resolve) => {
                answer = () => resolve(ids.map((destination) => ({ destination, receivedAt })))
              })
            : Promise.resolve(ids.map((destination) => ({ destination, receivedAt })))
      })
    )
    const ageOf = (text: string) =>
      parsePrometheusText(text).filter((sample) => sample.name === 'outpost_backlog_oldest_age_seconds')
    expect(ageOf(await metrics.render())).toEqual([])
    ;(answer as unknown as () => void)()
    await new Promise((resolve) => setImmediate(resolve))
    expect(ageOf(await metrics.render()).map((sample) => sample.value)).toEqual([90])
    receivedAt = null
    expect(ageOf(await metrics.render()).map((sample) => sample.value)).toEqual([0])
    metrics.close()
  })
})

describe('readiness', () => {
  const full = (code: string) => Object.assign(new Error(code), { code })

  it('is not ready on a full disk until a commit succeeds, on damage until a restart, at the bound, or closed', () => {
    let open = true
    let backlog = { events: 0, bytes: 0 }
    const readiness = createReadiness({ databaseOpen: () => open, backlog: () => backlog, limits: LIMITS })
    expect(readiness.problems()).toEqual([])
    readiness.commitFailed(full('SQLITE_FULL'))
    expect(readiness.problems()).toEqual(['disk_full'])
    readiness.commitFailed(new Error('not about the storage'))
    expect(readiness.problems()).toEqual(['disk_full'])
    readiness.committed()
    expect(readiness.problems()).toEqual([])
    readiness.commitFailed(full('SQLITE_CORRUPT'))
    readiness.committed()
    expect(readiness.problems()).toEqual(['outbox_damaged'])
    backlog = { events: 1, bytes: LIMITS.maxBytes }
    expect(readiness.problems()).toEqual(['outbox_damaged', 'outbox_full'])
    open = false
    expect(readiness.problems()).toEqual(['database_closed'])
  })

  it('answers 503 naming each problem, 200 without', () => {
    expect(readinessAnswer([])).toEqual({ status: 200, body: { status: 'ready' } })
    const answer = readinessAnswer(['disk_full', 'outbox_full'])
    expect(answer.status).toBe(503)
    expect(answer.body).toMatchObject({ error: 'disk_full', problems: ['disk_full', 'outbox_full'] })
    expect(JSON.stringify(answer.body)).toContain('Free space')
  })
})

describe('who may read /metrics, /healthz and /readyz', () => {
  async function appWith(config: MetricsConfig) {
    const app = Fastify()
    const metrics = createOutpostMetrics(sources())
    const readiness = createReadiness({
      databaseOpen: () => true,
      backlog: () => ({ events: 0, bytes: 0 }),
      limits: LIMITS
    })
    registerMetricsRoutes(app, { config, metrics, readiness })
    await app.ready()
    return app
  }

  it('knows a loopback peer, IPv4, IPv6 and mapped', () => {
    for (const address of ['127.0.0.1', '127.3.2.1', '::1', '::ffff:127.0.0.1'])
      expect(isLoopbackPeer(address), address).toBe(true)
    for (const address of [
      '192.168.1.20',
      '10.0.0.1',
      '::ffff:192.168.1.20',
      'fe80::1',
      '1127.0.0.1',
      undefined
    ])
      expect(isLoopbackPeer(address), address).toBe(false)
  })

  it('answers only loopback peers by default, and any peer with allowFrom any', async () => {
    const loopbackOnly = await appWith({ enabled: true, allowFrom: 'loopback' })
    const open = await appWith({ enabled: true, allowFrom: 'any' })
    for (const url of ['/metrics', '/healthz', '/readyz']) {
      const local = await loopbackOnly.inject({ url, remoteAddress: '127.0.0.1' })
      expect(local.statusCode, url).toBe(200)
      const lan = await loopbackOnly.inject({ url, remoteAddress: '192.168.1.20' })
      expect(lan.statusCode, url).toBe(403)
      expect(lan.json()).toMatchObject({
        error: 'metrics_not_allowed',
        message: expect.stringContaining('allowFrom')
      })
      expect((await open.inject({ url, remoteAddress: '192.168.1.20' })).statusCode, url).toBe(200)
    }
    const scraped = await open.inject({ url: '/metrics', remoteAddress: '192.168.1.20' })
    expect(scraped.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/)
    await loopbackOnly.close()
    await open.close()
  })
})

describe('the queue heads the backlog age is read from', () => {
  let dir: ReturnType<typeof tempDir> | null = null
  let store: Store | null = null
  afterEach(() => {
    store?.close()
    dir?.remove()
    store = null
  })

  it('are the oldest waiting event of each destination, read by index seeks, never a scan of the outbox', () => {
    dir = tempDir('outpost-heads')
    store = openStore(`${dir.path}/outbox.sqlite`)
    const { outbox, db } = store
    outbox.enqueueEvents([[newEvent('a1', { userKey: 'ana' })]], 1_000)
    outbox.enqueueEvents([[newEvent('b1', { userKey: 'ben' }), newEvent('c1', { userKey: 'cy' })]], 2_000)
    outbox.enqueueEvents([[newEvent('u1', { destination: 'userflux' })]], 3_000)
    const reads = createQueueHeadReads(db)
    expect(reads.queueHeads(['whisperr', 'userflux', 'none'])).toEqual([
      { destination: 'whisperr', receivedAt: 1_000 },
      { destination: 'userflux', receivedAt: 3_000 },
      { destination: 'none', receivedAt: null }
    ])
    // Ana's event delivered: the head is the next one received, in another lane.
    db.prepare(`UPDATE outbox SET status = 'sent', sent_at = 5000 WHERE message_id = 'a1'`).run()
    expect(reads.queueHeads(['whisperr'])).toEqual([{ destination: 'whisperr', receivedAt: 2_000 }])

    const plan = (
      db.prepare(`EXPLAIN QUERY PLAN ${QUEUE_HEAD_SQL}`).all({ destination: 'whisperr' }) as {
        detail: string
      }[]
    ).map((step) => step.detail)
    expect(plan).toContain('SEARCH outbox USING INTEGER PRIMARY KEY (rowid=?)')
    expect(plan.join('; ')).toMatch(
      /SEARCH outbox USING (COVERING )?INDEX outbox_lanes \(destination=\? AND lane=\?\)/
    )
    expect(plan.filter((step) => /SCAN outbox|TEMP B-TREE/.test(step))).toEqual([])
  })
})
