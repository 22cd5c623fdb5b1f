/**
 * Drain over a slow link: how fast Outpost empties a backlog of 100,000 events into a mock upstream
 * that answers every request 0, 50 or 150 ms late, for a vendor that takes batches (Whisperr) and
 * one that takes one event a request (Flywheel), against a plain loop posting the same requests
 * to the same mock with as many in flight as Outpost's default, in the same run.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Agent, request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startCollector } from '../src/main/collector'
import { parseConfig, type OutpostConfig } from '../src/main/config'
import { createHttpClient } from '../src/shared/http-client'
import { WHISPERR_MAX_BATCH } from '../test/mocks/whisperr'
import { copyDataFolder } from './support/data-folder'
import { realisticEvents, realisticFlywheelBody, runPrefix } from './support/events'
import { startPeer, type Peer } from './support/peer'
import type { DrainReport, MockVendor } from './support/peer-protocol'
import { format, recordResult, type ResultTable } from './support/results'
import { median, perSecond } from './support/stats'

const DRAIN_EVENTS = 100_000
const LATENCIES_MS = [0, 50, 150]
const ROUNDS = 3
/**
 * The clock stops here even when events are left: a one-event vendor with few requests in flight
 * would take hours on 100,000 events at 150 ms. The rate is measured over what was delivered.
 */
const TIME_LIMIT_MS = 4_000
/** After a measurement, a request the mock still holds (its latency) must land before the next one. */
const SETTLE_MS = 300
/** Apps filling the backlog through ingest from the peer process (not measured). */
const FILL_CLIENTS = 20
const FILL_TIME_LIMIT_MS = 120_000
const ADMIN_TOKEN = 'bench-drain-latency-token'
const API_KEYS: Record<MockVendor, string> = { whisperr: 'wk_bench_drain', flywheel: 'fw_bench_drain' }
const TEST_TIMEOUT_MS = 600_000
const ONE_EVENT_TARGET_PER_SECOND = 100
const WHISPERR_TARGET_PER_SECOND = 20_000
const WHISPERR_NO_LATENCY_TARGET_RATIO = 0.6

/** Requests in flight per destination in Outpost's default config; 1 before sync.concurrency existed. */
function defaultConcurrency(): number {
  const sync: Record<string, unknown> = { ...parseConfig({ destinations: [] }).sync }
  return typeof sync.concurrency === 'number' ? sync.concurrency : 1
}
const IN_FLIGHT = defaultConcurrency()

/** The same requests to one URL. */
interface RequestSet {
  path: string
  headers: Record<string, string>
  bodies: string[]
  /** The status that acknowledges one. */
  status: number
}

interface Vendor {
  id: MockVendor
  label: string
  /** What an app sends to Outpost to queue the events: POST /{destination}{ingestPath}. */
  ingestPath: string
  eventsPerIngestRequest: number
  /** What the plain loop sends to the mock: the requests Outpost should send for the same events. */
  upstream(messageIdPrefix: string): RequestSet
}

function chunks<T>(items: T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, index) =>
    items.slice(index * size, (index + 1) * size)
  )
}

const VENDORS: Record<MockVendor, Vendor> = {
  whisperr: {
    id: 'whisperr',
    label: `Whisperr (batches of up to ${WHISPERR_MAX_BATCH})`,
    ingestPath: '/v1/events/batch',
    eventsPerIngestRequest: 100,
    upstream: (messageIdPrefix) => ({
      path: '/v1/events/batch',
      headers: { 'x-api-key': API_KEYS.whisperr },
      bodies: chunks(realisticEvents(messageIdPrefix, DRAIN_EVENTS), WHISPERR_MAX_BATCH).map((batch) =>
        JSON.stringify({ events: batch })
      ),
      status: 202
    })
  },
  flywheel: {
    id: 'flywheel',
    label: 'Flywheel (one event a request)',
    ingestPath: '/v1/events',
    eventsPerIngestRequest: 1,
    upstream: () => ({
      path: '/v1/events',
      headers: { authorization: API_KEYS.flywheel, 'auth-type': 'api' },
      bodies: Array.from({ length: DRAIN_EVENTS }, (_, sequence) => realisticFlywheelBody(sequence)),
      status: 200
    })
  }
}

/**
 * Posts `set`'s bodies to `origin` with `inFlight` requests at a time, each sent when one is
 * answered, until all are answered or `deadline` (Date.now()) passes. Returns how many were sent.
 */
async function postAll(origin: string, set: RequestSet, inFlight: number, deadline: number): Promise<number> {
  const dispatcher = new Agent({ connections: inFlight })
  let next = 0
  const worker = async () => {
    while (next < set.bodies.length && Date.now() < deadline) {
      const index = next++
      const response = await request(`${origin}${set.path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...set.headers },
        body: set.bodies[index],
        dispatcher
      })
      const text = await response.body.text()
      if (response.statusCode !== set.status)
        throw new Error(`POST ${origin}${set.path} answered ${response.statusCode}: ${text.slice(0, 300)}`)
    }
  }
  try {
    await Promise.all(Array.from({ length: inFlight }, worker))
  } finally {
    await dispatcher.close()
  }
  return next
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

interface DrainSample {
  delivered: number
  elapsedMs: number
  requests: number
  complete: boolean
  /** How long Outpost's main thread (this process's event loop) was busy while it drained; null for the loop. */
  cpuMs: number | null
}

function sampleOf(report: DrainReport, startedAt: number, cpuMs: number | null = null): DrainSample {
  // Nothing lost twice, nothing refused: otherwise the rate means nothing.
  expect(report.duplicates).toBe(0)
  expect(report.rejections).toBe(0)
  return {
    delivered: report.accepted,
    elapsedMs: (report.lastAcceptedAt ?? startedAt) - startedAt,
    requests: report.requests,
    complete: report.complete,
    cpuMs
  }
}

/** Outpost's busy main-thread time per request it sent (claim, body, answer, bookkeeping), median of the rounds. */
const cpuPerRequest = (samples: DrainSample[]): number =>
  median(samples.map((sample) => (sample.cpuMs ?? 0) / Math.max(1, sample.requests)))

const rateOf = (sample: DrainSample) =>
  sample.delivered === 0 ? 0 : perSecond(sample.delivered, sample.elapsedMs)

interface LatencyResult {
  latencyMs: number
  loop: DrainSample[]
  outpost: DrainSample[]
}

describe('drain over a slow link', () => {
  let peer: Peer
  const urls = new Map<MockVendor, string>()
  const results = new Map<MockVendor, { vendor: Vendor; latencies: LatencyResult[] }>()

  beforeAll(async () => {
    peer = await startPeer()
    urls.set('whisperr', (await peer.call({ type: 'start-whisperr', apiKey: API_KEYS.whisperr })).url)
    urls.set('flywheel', (await peer.call({ type: 'start-flywheel', apiKey: API_KEYS.flywheel })).url)
  })
  afterAll(async () => {
    await peer?.close()
  })

  function configOf(vendor: Vendor): OutpostConfig {
    return parseConfig({
      ingest: { host: '127.0.0.1', port: 0 },
      destinations: [
        { id: vendor.id, vendor: vendor.id, baseUrl: urls.get(vendor.id), apiKey: API_KEYS[vendor.id] }
      ]
    })
  }

  /** A closed data folder holding the vendor's events, queued through ingest behind a paused destination. */
  async function fillTemplate(vendor: Vendor, dataDir: string, messageIdPrefix: string): Promise<void> {
    const collector = await startCollector({
      config: configOf(vendor),
      dataDir,
      port: 0,
      adminToken: ADMIN_TOKEN,
      rendererDir: null,
      env: {}
    })
    try {
      await collector.api.pauseDestination({ id: vendor.id })
      // From the peer, like the apps: the collector keeps its core for storing.
      const report = await peer.call({
        type: 'load',
        plan: {
          origin: collector.url,
          path: `/${vendor.id}${vendor.ingestPath}`,
          vendor: vendor.id,
          eventsPerRequest: vendor.eventsPerIngestRequest,
          clients: FILL_CLIENTS,
          requestsPerClient: DRAIN_EVENTS / (FILL_CLIENTS * vendor.eventsPerIngestRequest),
          maxDurationMs: FILL_TIME_LIMIT_MS,
          messageIdPrefix
        }
      })
      expect(report.firstFailure).toBeNull()
      expect((await collector.api.getStats({})).counts.queued).toBe(DRAIN_EVENTS)
    } finally {
      await collector.close()
    }
  }

  /** Outpost on a copy of the template: resume the destination, stop the clock at the last event or the limit. */
  async function drainThroughOutpost(
    vendor: Vendor,
    template: string,
    latencyMs: number
  ): Promise<DrainSample> {
    const dataDir = mkdtempSync(join(tmpdir(), 'outpost-bench-drain-'))
    copyDataFolder(template, dataDir)
    const collector = await startCollector({
      config: configOf(vendor),
      dataDir,
      port: 0,
      adminToken: ADMIN_TOKEN,
      rendererDir: null,
      env: {}
    })
    try {
      await peer.call({ type: 'reset-upstream', vendor: vendor.id, latencyMs })
      const api = createHttpClient({ baseUrl: collector.url, token: ADMIN_TOKEN })
      const startedAt = Date.now()
      // The collector runs in this process and the mock and the loop in the peer. What bounds
      // delivery is the time its one thread is busy (claims, bodies, answers, SQLite writes):
      // the event loop's active time, not the process's CPU, which also counts the reader's and
      // the search indexer's worker threads (the indexer indexes the copied outbox meanwhile).
      const loopAtStart = performance.eventLoopUtilization()
      await api.resumeDestination({ id: vendor.id })
      const report = await peer.call({
        type: 'await-upstream',
        vendor: vendor.id,
        events: DRAIN_EVENTS,
        deadline: startedAt + TIME_LIMIT_MS
      })
      const busyMs = performance.eventLoopUtilization(loopAtStart).active
      // None at all is a broken delivery, not a slow one: no rate to report.
      expect(report.accepted).toBeGreaterThan(0)
      return sampleOf(report, startedAt, busyMs)
    } finally {
      await collector.close()
      rmSync(dataDir, { recursive: true, force: true })
      await sleep(latencyMs + SETTLE_MS)
    }
  }

  /** The baseline: the same requests posted straight to the mock, IN_FLIGHT at a time, nothing stored. */
  async function drainByLoop(vendor: Vendor, requests: RequestSet, latencyMs: number): Promise<DrainSample> {
    await peer.call({ type: 'reset-upstream', vendor: vendor.id, latencyMs })
    const startedAt = Date.now()
    const deadline = startedAt + TIME_LIMIT_MS
    const posted = await postAll(urls.get(vendor.id) ?? '', requests, IN_FLIGHT, deadline)
    const report = await peer.call({
      type: 'await-upstream',
      vendor: vendor.id,
      events: DRAIN_EVENTS,
      deadline
    })
    expect(report.requests).toBe(posted)
    return sampleOf(report, startedAt)
  }

  async function measureVendor(vendor: Vendor): Promise<void> {
    const template = mkdtempSync(join(tmpdir(), 'outpost-bench-drain-template-'))
    const messageIdPrefix = runPrefix(`drain-${vendor.id}`)
    try {
      await fillTemplate(vendor, template, messageIdPrefix)
      const requests = vendor.upstream(messageIdPrefix)
      await drainThroughOutpost(vendor, template, 0) // warm-up
      const latencies: LatencyResult[] = LATENCIES_MS.map((latencyMs) => ({
        latencyMs,
        loop: [],
        outpost: []
      }))
      for (let round = 0; round < ROUNDS; round++) {
        for (const result of latencies) {
          // Alternate which goes first, so neither always meets a cooler or warmer machine.
          if (round % 2 === 0) result.loop.push(await drainByLoop(vendor, requests, result.latencyMs))
          result.outpost.push(await drainThroughOutpost(vendor, template, result.latencyMs))
          if (round % 2 === 1) result.loop.push(await drainByLoop(vendor, requests, result.latencyMs))
        }
      }
      results.set(vendor.id, { vendor, latencies })
    } finally {
      rmSync(template, { recursive: true, force: true })
    }
  }

  it(
    'drains Whisperr batches at 0, 50 and 150 ms against the plain loop',
    async () => {
      await measureVendor(VENDORS.whisperr)
    },
    TEST_TIMEOUT_MS
  )

  it(
    'drains Flywheel single events at 0, 50 and 150 ms against the plain loop',
    async () => {
      await measureVendor(VENDORS.flywheel)
      recordDrain([...results.values()])
    },
    TEST_TIMEOUT_MS
  )
})

function deliveredCell(samples: DrainSample[]): string {
  const delivered = median(samples.map((sample) => sample.delivered))
  const cut = samples.filter((sample) => !sample.complete).length
  return cut === 0
    ? format.count(delivered)
    : `${format.count(delivered)} (${cut} of ${samples.length} cut at the limit)`
}

function tableOf(vendor: Vendor, latencies: LatencyResult[]): ResultTable {
  return {
    caption: `${vendor.label}: ${format.count(DRAIN_EVENTS)} queued events, median of ${ROUNDS} rounds`,
    columns: [
      'Added latency',
      'loop events/s',
      'loop delivered',
      'Outpost events/s',
      'range of rounds',
      'Outpost delivered',
      'Outpost requests',
      'Outpost busy ms per request',
      'vs loop'
    ],
    rows: latencies.map(({ latencyMs, loop, outpost }) => [
      `${latencyMs} ms`,
      format.count(median(loop.map(rateOf))),
      deliveredCell(loop),
      format.count(median(outpost.map(rateOf))),
      format.range(outpost.map(rateOf)),
      deliveredCell(outpost),
      format.count(median(outpost.map((sample) => sample.requests))),
      format.ms(cpuPerRequest(outpost)),
      format.ratio(median(outpost.map(rateOf)) / median(loop.map(rateOf)))
    ])
  }
}

function outpostRate(
  latencies: LatencyResult[],
  latencyMs: number
): { outpost: number; loop: number; cpuMsPerRequest: number; eventsPerRequest: number } {
  const result = latencies.find((entry) => entry.latencyMs === latencyMs)
  if (!result) throw new Error(`no drain measured at ${latencyMs} ms`)
  return {
    outpost: median(result.outpost.map(rateOf)),
    loop: median(result.loop.map(rateOf)),
    cpuMsPerRequest: cpuPerRequest(result.outpost),
    eventsPerRequest: median(result.outpost.map((sample) => sample.delivered / Math.max(1, sample.requests)))
  }
}

/**
 * What bounds a drain: Outpost's busy main-thread time per request against the round trip. Its
 * work runs on one thread, so it sends at most 1,000 / (busy ms per request) requests a second;
 * requests in flight carry at most IN_FLIGHT per round trip.
 */
function boundOf(vendor: string, latencyMs: number, measured: ReturnType<typeof outpostRate>): string {
  const byThread = (1_000 / measured.cpuMsPerRequest) * measured.eventsPerRequest
  const byLink = latencyMs > 0 ? (IN_FLIGHT * 1_000 * measured.eventsPerRequest) / latencyMs : Infinity
  const link =
    byLink === Infinity
      ? 'with no added latency only the thread bounds it'
      : `${IN_FLIGHT} requests in flight would carry ${format.count(byLink)} events/s at that latency`
  return (
    `${vendor} at ${latencyMs} ms: Outpost's main thread, which also answers ingest, was busy ` +
    `${format.ms(measured.cpuMsPerRequest)} ms per request (${format.count(measured.eventsPerRequest)} events on average), ` +
    `so its thread alone allows at most ${format.count(byThread)} events/s; ${link}.`
  )
}

const verdict = (met: boolean) => (met ? 'met' : 'missed')

function recordDrain(measured: { vendor: Vendor; latencies: LatencyResult[] }[]): void {
  const byVendor = new Map(measured.map((entry) => [entry.vendor.id, entry.latencies]))
  const whisperr = byVendor.get('whisperr') ?? []
  const flywheel = byVendor.get('flywheel') ?? []
  const slowest = Math.max(...LATENCIES_MS)
  const whisperrSlow = outpostRate(whisperr, slowest)
  const whisperrFast = outpostRate(whisperr, 0)
  const flywheelSlow = outpostRate(flywheel, slowest)
  recordResult('6-drain-latency', {
    order: 6,
    title: 'Drain over a slow link: 100,000 events at 0, 50 and 150 ms per request',
    method: [
      `For each vendor, ${format.count(DRAIN_EVENTS)} realistic events are queued once through ingest behind a ` +
        'paused destination, and the closed data folder is kept. Each round runs the real collector ' +
        '(startCollector) on a fresh copy of it, resumes the destination through the admin API and stops the ' +
        'clock when the mock upstream (in the peer process) has accepted the last event, each exactly once. ' +
        `The mock answers every request ${LATENCIES_MS.join(', ')} ms late, as a link with that round trip would; ` +
        'it handles requests in parallel.',
      `The baseline is a plain loop posting the same requests (Whisperr batches of ${WHISPERR_MAX_BATCH}, ` +
        `Flywheel one event each) straight to the same mock with ${IN_FLIGHT} in flight, Outpost's default ` +
        'requests in flight per destination (sync.concurrency in its config defaults, 1 where it has none), ' +
        'storing nothing. ' +
        `${ROUNDS} rounds each, alternating which runs first, after one warm-up of Outpost.`,
      `Bounded in time: the clock stops at ${format.seconds(TIME_LIMIT_MS)} s even when events are left (a ` +
        `one-event vendor at ${slowest} ms and a few requests in flight would take hours on ` +
        `${format.count(DRAIN_EVENTS)}), and the rate counts the events delivered by then; the "delivered" ` +
        'columns show how many that was, and how many rounds the limit cut.',
      `The issue's targets: at ${slowest} ms, one-event vendors at least ${ONE_EVENT_TARGET_PER_SECOND} events/s ` +
        `and Whisperr at least ${format.count(WHISPERR_TARGET_PER_SECOND)} events/s; with no added latency, ` +
        `Whisperr at least ${format.ratio(WHISPERR_NO_LATENCY_TARGET_RATIO)} the plain loop.`
    ],
    tables: measured.map(({ vendor, latencies }) => tableOf(vendor, latencies)),
    findings: [
      `Requests in flight per destination (Outpost's default, and the loop's): ${IN_FLIGHT}.`,
      `At ${slowest} ms Flywheel drained at ${format.count(flywheelSlow.outpost)} events/s ` +
        `(${format.ratio(flywheelSlow.outpost / flywheelSlow.loop)} the loop's ${format.count(flywheelSlow.loop)}); ` +
        `target ${ONE_EVENT_TARGET_PER_SECOND}: ${verdict(flywheelSlow.outpost >= ONE_EVENT_TARGET_PER_SECOND)}.`,
      `At ${slowest} ms Whisperr drained at ${format.count(whisperrSlow.outpost)} events/s ` +
        `(${format.ratio(whisperrSlow.outpost / whisperrSlow.loop)} the loop's ${format.count(whisperrSlow.loop)}); ` +
        `target ${format.count(WHISPERR_TARGET_PER_SECOND)}: ${verdict(whisperrSlow.outpost >= WHISPERR_TARGET_PER_SECOND)}.`,
      `With no added latency Whisperr drained at ${format.ratio(whisperrFast.outpost / whisperrFast.loop)} the ` +
        `loop (${format.count(whisperrFast.outpost)} against ${format.count(whisperrFast.loop)} events/s); target ` +
        `${format.ratio(WHISPERR_NO_LATENCY_TARGET_RATIO)}: ` +
        `${verdict(whisperrFast.outpost / whisperrFast.loop >= WHISPERR_NO_LATENCY_TARGET_RATIO)}.`,
      boundOf('Whisperr', slowest, whisperrSlow),
      boundOf('Whisperr', 0, whisperrFast),
      'Where that time goes (a profile per statement, in docs/architecture.md, Delivery, Bookkeeping): most of it ' +
        'is SQLite writing each event twice, leased and then settled, with its indexes and status counts, and ' +
        'committing those pages. Requests in flight share no user, so over hundreds of mixed users the events ' +
        'of a batch lie one to a page, and each status change writes a page per event where a batch of ' +
        'neighbours wrote one per seven.'
    ]
  })
}
