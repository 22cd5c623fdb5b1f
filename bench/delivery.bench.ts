/**
 * Delivery: how fast Outpost empties a backlog into the strict mock Whisperr, against a loop that
 * posts the same events straight to the same mock (the delivery ceiling), in the same run.
 */
import { statSync } from 'node:fs'
import { Agent, request } from 'undici'
import { afterAll, describe, expect, it } from 'vitest'
import { WHISPERR_MAX_BATCH } from '../test/mocks/whisperr'
import { realisticEvents, runPrefix } from './support/events'
import { DESTINATION, startBenchOutpost, type BenchOutpost } from './support/outpost'
import { usePeerWithWhisperr } from './support/peer'
import type { UpstreamReport } from './support/peer-protocol'
import { parseConfig } from '../src/main/config'
import { format, recordResult } from './support/results'
import { median, perSecond } from './support/stats'

const EVENTS = 50_000
const WARMUP_EVENTS = 2_000
const ROUNDS = 5
/** Ingest batch size used to fill Outpost's outbox before a round (not measured). */
const ENQUEUE_BATCH = 100
const DELIVERY_TIMEOUT_MS = 60_000
const API_KEY = 'wk_bench_delivery'

interface DeliverySample {
  elapsedMs: number
  requests: number
}

/** Outpost runs in this process: its main thread's busy time over a drain (event-loop utilization). */
interface BusySample {
  busyMs: number
}

/** What a drain left on disk. */
interface OutboxSize {
  /** The outbox file once its WAL is checkpointed into it. */
  fileBytes: number
  /** Request bodies kept for the attempts' detail (migration 12 on). */
  bodyBytes: number
}

/** The outbox's size once every event is recorded as sent and the WAL is checkpointed into the file. */
async function outboxSize(outpost: BenchOutpost, events: number): Promise<OutboxSize> {
  const { db } = outpost.collector.store
  const deadline = Date.now() + DELIVERY_TIMEOUT_MS
  // The mock counts an event when it answers; Outpost records the answer just after.
  while ((await outpost.collector.api.getStats({})).counts.sent < events) {
    if (Date.now() > deadline) throw new Error('the delivered events were not all recorded as sent')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  db.pragma('wal_checkpoint(TRUNCATE)')
  const hasBodies = db.prepare(`SELECT 1 FROM sqlite_master WHERE name = 'request_bodies'`).get()
  const bodyBytes = hasBodies
    ? (db.prepare('SELECT total(length(CAST(body AS BLOB))) FROM request_bodies').pluck().get() as number)
    : 0
  return { fileBytes: statSync(db.name).size, bodyBytes }
}

/** A batch body from events already serialized, as Outpost builds one from its stored payloads. */
function batchBody(payloads: string[]): string {
  return `{"events":[${payloads.join(',')}]}`
}

function chunks<T>(items: T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, index) =>
    items.slice(index * size, (index + 1) * size)
  )
}

async function postOrThrow(url: string, body: string, headers: Record<string, string>, dispatcher: Agent) {
  const response = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
    dispatcher
  })
  const text = await response.body.text()
  if (response.statusCode !== 202) throw new Error(`POST ${url} answered ${response.statusCode}: ${text}`)
}

/** Nothing lost, nothing twice, nothing refused: otherwise the rate means nothing. */
function expectExactlyOnce(report: UpstreamReport, events: number): void {
  expect(report.distinctEvents).toBe(events)
  expect(report.duplicates).toBe(0)
  expect(report.rejections).toBe(0)
}

describe('delivery throughput', () => {
  const whisperrPeer = usePeerWithWhisperr(API_KEY)
  const agent = new Agent({ connections: 4 })

  afterAll(async () => {
    await agent.close()
  })

  async function untilUpstreamHas(events: number): Promise<UpstreamReport> {
    const { peer } = whisperrPeer
    const report = await peer.call({ type: 'await-whisperr', events, timeoutMs: DELIVERY_TIMEOUT_MS })
    expectExactlyOnce(report, events)
    return report
  }

  /** Requests in flight per destination in Outpost's default config. */
  const IN_FLIGHT = parseConfig({ destinations: [] }).sync.concurrency

  /** The ceiling: one loop, one request in flight, batches of 500. */
  async function deliverDirectly(count: number): Promise<DeliverySample> {
    const { peer, upstreamUrl } = whisperrPeer
    const payloads = realisticEvents(runPrefix('direct'), count).map((event) => JSON.stringify(event))
    await peer.call({ type: 'reset-whisperr' })
    const startedAt = Date.now()
    for (const chunk of chunks(payloads, WHISPERR_MAX_BATCH)) {
      await postOrThrow(`${upstreamUrl}/v1/events/batch`, batchBody(chunk), { 'x-api-key': API_KEY }, agent)
    }
    const report = await untilUpstreamHas(count)
    return { elapsedMs: report.completedAt - startedAt, requests: report.requests }
  }

  /** Outpost: fill a paused outbox through ingest, then resume and time until the mock has them all. */
  async function deliverThroughOutpost(count: number): Promise<DeliverySample & BusySample & OutboxSize> {
    const { peer, upstreamUrl } = whisperrPeer
    const outpost = await startBenchOutpost({ upstreamUrl, apiKey: API_KEY, paused: true })
    try {
      const events = realisticEvents(runPrefix('outpost'), count)
      for (const chunk of chunks(events, ENQUEUE_BATCH)) {
        const body = JSON.stringify({ events: chunk })
        await postOrThrow(`${outpost.origin}/${DESTINATION}/v1/events/batch`, body, {}, agent)
      }
      expect((await outpost.collector.api.getStats({})).counts.queued).toBe(count)
      await peer.call({ type: 'reset-whisperr' })
      const startedAt = Date.now()
      const loopAtStart = performance.eventLoopUtilization()
      await outpost.collector.api.resumeDestination({ id: DESTINATION })
      const report = await untilUpstreamHas(count)
      const busyMs = performance.eventLoopUtilization(loopAtStart).active
      const size = await outboxSize(outpost, count)
      return { elapsedMs: report.completedAt - startedAt, requests: report.requests, busyMs, ...size }
    } finally {
      await outpost.close()
    }
  }

  it('measures Outpost emptying a backlog against posting straight to the upstream', async () => {
    await deliverDirectly(WARMUP_EVENTS)
    await deliverThroughOutpost(WARMUP_EVENTS)
    const direct: DeliverySample[] = []
    const outpost: (DeliverySample & BusySample & OutboxSize)[] = []
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate which goes first, so neither always runs on a cooler or warmer machine.
      if (round % 2 === 0) direct.push(await deliverDirectly(EVENTS))
      outpost.push(await deliverThroughOutpost(EVENTS))
      if (round % 2 === 1) direct.push(await deliverDirectly(EVENTS))
    }

    const rate = (samples: DeliverySample[]) => samples.map((sample) => perSecond(EVENTS, sample.elapsedMs))
    const ceiling = median(rate(direct))
    const outpostRate = median(rate(outpost))
    const row = (label: string, samples: DeliverySample[]) => {
      const rates = rate(samples)
      return [
        label,
        format.count(median(samples.map((sample) => sample.requests))),
        format.seconds(median(samples.map((sample) => sample.elapsedMs))),
        format.count(median(rates)),
        format.range(rates),
        format.ratio(median(rates) / ceiling)
      ]
    }
    const msPerRequest = (samples: DeliverySample[]) =>
      median(samples.map((sample) => sample.elapsedMs / sample.requests))
    const batchMs = msPerRequest(outpost)
    const roundTripMs = msPerRequest(direct)
    const busyMs = median(outpost.map((sample) => sample.busyMs / sample.requests))
    const eventsPerRequest = EVENTS / median(outpost.map((sample) => sample.requests))
    const fileBytes = median(outpost.map((sample) => sample.fileBytes))
    const bodyBytes = median(outpost.map((sample) => sample.bodyBytes))
    const megabytes = (bytes: number) => (bytes / 1_000_000).toFixed(1)

    recordResult('2-delivery', {
      order: 2,
      title: 'Delivery: emptying a backlog',
      method: [
        `Outpost (fresh data folder, Whisperr destination paused) receives ${format.count(EVENTS)} realistic events ` +
          `through ingest in batches of ${ENQUEUE_BATCH}; then the destination is resumed and the clock runs until ` +
          'the strict mock Whisperr (in the peer process) has accepted every one of them, each exactly once. ' +
          `Outpost sends batches of up to ${WHISPERR_MAX_BATCH} with up to ${IN_FLIGHT} requests in flight (the ` +
          'default sync.concurrency; the events belong to many users), and records every attempt and state ' +
          'change in SQLite (synchronous=FULL) as it goes.',
        `The ceiling is a plain loop posting the same number of events, already serialized, to the same mock in ` +
          `batches of ${WHISPERR_MAX_BATCH}, one request at a time, with nothing stored. Both runs end when the mock ` +
          `has accepted the last event. ${ROUNDS} rounds each, alternating which runs first, after a warm-up of ` +
          `${format.count(WARMUP_EVENTS)} events each.`,
        "Outpost's main thread's busy time is its event loop's utilization from the resume until the mock has " +
          'every event (Outpost runs in the bench process, the mock in the peer). ' +
          'After each Outpost round, once every event is recorded as sent (outside the clock), the WAL is ' +
          "checkpointed into the outbox file and the file's size is read, with the bytes of request bodies " +
          'kept for the attempts (request_bodies).'
      ],
      tables: [
        {
          caption: `${format.count(EVENTS)} events, median of ${ROUNDS} rounds`,
          columns: ['Sender', 'requests', 'seconds', 'events/s', 'range of rounds', 'vs ceiling'],
          rows: [
            row(`Ceiling: loop posting batches of ${WHISPERR_MAX_BATCH} to the mock`, direct),
            row('Outpost: resume a paused destination', outpost)
          ]
        },
        {
          caption: `Outpost's main thread over the drain, and the outbox it leaves (WAL checkpointed), median of ${ROUNDS} rounds`,
          columns: ['busy ms per request', 'file MB', 'bytes per event', 'request bodies kept, MB'],
          rows: [
            [format.ms(busyMs), megabytes(fileBytes), format.count(fileBytes / EVENTS), megabytes(bodyBytes)]
          ]
        }
      ],
      findings: [
        `Outpost delivered ${format.count(outpostRate)} events/s, ${format.ratio(outpostRate / ceiling)} the ` +
          `ceiling of ${format.count(ceiling)} events/s, ${format.ms(batchMs)} ms per batch of up to ` +
          `${WHISPERR_MAX_BATCH} events on average (request, answer and the SQLite bookkeeping around it).`,
        `Of those ${format.ms(batchMs)} ms, the upstream's part is about ${format.ms(roundTripMs)} ms (the ` +
          `ceiling's time per request); the other ${format.ms(Math.max(0, batchMs - roundTripMs))} ms are ` +
          "Outpost's own work per batch: leasing the events, building the body, recording the attempt and " +
          'settling every event, each transaction committed with an fsync. That work runs on one thread however ' +
          'many requests are in flight: more of them hide only the upstream part.',
        `Outpost's main thread was busy ${format.ms(busyMs)} ms per request (its event loop's utilization ` +
          `over the drain), which alone allows at most ${format.count((1000 / busyMs) * eventsPerRequest)} events/s.`,
        `The delivered outbox took ${megabytes(fileBytes)} MB (${format.count(fileBytes / EVENTS)} bytes per event, ` +
          `every event and attempt kept until retention), ${megabytes(bodyBytes)} MB of it request bodies: a ` +
          'successful attempt keeps none (its body is rebuilt from its events when shown).'
      ]
    })
  })
})
