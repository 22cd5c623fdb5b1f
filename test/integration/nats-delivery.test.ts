import { afterEach, expect, it } from 'vitest'
import type { NatsConnection } from '@nats-io/transport-node'
import { startTestCollector, type TestCollector } from '../support/collector'
import {
  describeWithNatsServer,
  readStream,
  useNatsServer,
  type TestNatsServer
} from '../support/nats-server'
import { startMockWhisperr } from '../mocks/whisperr'
import { eventually } from '../support/temp'
import { messageIdOf, whisperrEvent } from '../support/whisperr-events'

/**
 * A NATS JetStream destination fed by a Whisperr route, against the real nats-server -js: every
 * event accepted reaches the stream exactly once per message id, also when the server goes away
 * and comes back mid-way, and the Whisperr destination's own delivery is untouched by it.
 */

const TOTAL = 10_000
const BATCH = 500
const DEVICE = 'kiosk-7'

describeWithNatsServer('NATS JetStream destination (real nats-server -js)', () => {
  const nats = useNatsServer()
  let outpost: TestCollector | null = null

  afterEach(async () => {
    await outpost?.close()
    outpost = null
  })

  async function setUp(): Promise<{
    server: TestNatsServer
    client: NatsConnection
    outpost: TestCollector
  }> {
    const { server, client } = await nats.start({
      connection: { maxReconnectAttempts: -1, reconnectTimeWait: 100 }
    })
    outpost = await startTestCollector({
      // The vendor itself is unreachable: its events wait, the stream's go (independent rows).
      destinations: [
        { id: 'whisperr', vendor: 'whisperr', baseUrl: 'http://127.0.0.1:9', apiKey: 'wrk_test' },
        {
          id: 'pipeline',
          vendor: 'nats',
          feeds: ['whisperr'],
          nats: { servers: [server.url], stream: 'OUTPOST', publishTimeoutMs: 2_000 }
        }
      ],
      fleet: { deviceId: DEVICE },
      sync: { backoffBaseMs: 50, backoffMaxMs: 500 }
    })
    return { server, client, outpost }
  }

  async function ingest(target: TestCollector, from: number, to: number, ids: string[]): Promise<void> {
    for (let first = from; first < to; first += BATCH) {
      const events = Array.from({ length: Math.min(BATCH, to - first) }, (_, index) =>
        whisperrEvent({
          event_type: index % 2 ? 'checkout_done' : 'feature_used',
          properties: { n: first + index, big: 'BIG' }
        })
      )
      ids.push(...events.map(messageIdOf))
      // Sent as text: a number beyond 2^53 that JavaScript would round.
      const text = JSON.stringify({ events }).replaceAll('"big":"BIG"', '"big":12345678901234567890')
      const answer = await target.post('/whisperr/v1/events/batch', text)
      expect(answer.status).toBe(202)
    }
  }

  async function streamCount(connection: NatsConnection): Promise<number> {
    const { jetstreamManager } = await import('@nats-io/jetstream')
    const manager = await jetstreamManager(connection)
    return (await manager.streams.info('OUTPOST')).state.messages
  }

  function expectExactlyOnce(messages: Awaited<ReturnType<typeof readStream>>, ids: string[]): void {
    const msgIds = messages.map((message) => message.msgId)
    expect(messages).toHaveLength(ids.length)
    expect(new Set(msgIds).size).toBe(ids.length)
    expect(new Set(msgIds)).toEqual(new Set(ids.map((id) => `${DEVICE}:whisperr:${id}`)))
  }

  it('publishes 10,000 events fed by a Whisperr route exactly once each, payload as sent', async () => {
    const { client, outpost } = await setUp()
    const ids: string[] = []
    await ingest(outpost, 0, TOTAL, ids)
    // A client retry of a batch (same $message_id) makes no second row for the stream either.
    const again = await outpost.post('/whisperr/v1/events/batch', {
      events: [whisperrEvent({ context: { $message_id: ids[0] } })]
    })
    expect(again.headers.get('x-outpost-duplicates')).toBe('1')

    await eventually(
      async () => expect(await streamCount(client)).toBe(TOTAL),
      120_000,
      'stream holds every event'
    )
    const messages = await readStream(client, 'OUTPOST')
    expectExactlyOnce(messages, ids)
    const second = messages.find((message) => message.headers['Outpost-Message-Id'] === ids[1])
    expect(second?.subject).toBe(`outpost.${DEVICE}.whisperr.checkout_done`)
    expect(second?.headers).toMatchObject({
      'Outpost-Destination': 'whisperr',
      'Outpost-Vendor': 'whisperr',
      'Outpost-Kind': 'track',
      'Outpost-Device': DEVICE
    })
    // The client's own text: the big integer keeps its digits.
    expect(second?.data).toContain('"big":12345678901234567890')

    const { destinations } = await outpost.api.getStats({})
    const pipeline = destinations.find((destination) => destination.id === 'pipeline')
    const whisperr = destinations.find((destination) => destination.id === 'whisperr')
    expect(pipeline?.counts.sent).toBe(TOTAL)
    expect(pipeline?.fedBy).toEqual(['whisperr'])
    // The stream's copy is not an HTTP request nor a route's event: both say so in words.
    const [copy] = (await outpost.api.listEvents({ destination: 'pipeline', limit: 1 })).events
    expect(copy?.messageId).toMatch(/^whisperr:/)
    const id = copy?.id as number
    await expect(outpost.api.editPayload({ id, payload: '{}' })).rejects.toThrow(
      /edit the event at that route/
    )
    await expect(outpost.api.previewUpstreamRequest({ id })).rejects.toThrow(
      /publishes each event's stored payload/
    )
    expect(pipeline?.configured).toBe(true)
    // The vendor is down: its rows wait, and did not hold the stream's back.
    expect(whisperr?.counts.sent ?? 0).toBe(0)
  })

  it('keeps the vendor and the stream independent: a paused stream does not hold the vendor back', async () => {
    const { server, client } = await nats.start()
    const vendor = await startMockWhisperr({ apiKey: 'wrk_test' })
    try {
      outpost = await startTestCollector({
        destinations: [
          { id: 'whisperr', vendor: 'whisperr', baseUrl: vendor.url, apiKey: 'wrk_test' },
          { id: 'pipeline', vendor: 'nats', feeds: ['whisperr'], nats: { servers: [server.url] } }
        ],
        fleet: { deviceId: DEVICE }
      })
      await outpost.api.pauseDestination({ id: 'pipeline' })
      const ids: string[] = []
      await ingest(outpost, 0, 200, ids)
      await vendor.waitForEvents(200)
      expect([...vendor.deliveries.keys()].sort()).toEqual([...ids].sort())
      const target = outpost
      const paused = (await target.api.getStats({})).destinations.find((d) => d.id === 'pipeline')
      expect(paused?.counts.queued).toBe(200)
      expect(await streamCount(client)).toBe(0)

      await outpost.api.resumeDestination({ id: 'pipeline' })
      await eventually(async () => expect(await streamCount(client)).toBe(200), 30_000)
      expectExactlyOnce(await readStream(client, 'OUTPOST'), ids)
    } finally {
      await vendor.close()
    }
  })

  it('delivers every event exactly once when the server stops and restarts mid-way, and recovers by itself', async () => {
    const { server, client, outpost } = await setUp()
    const ids: string[] = []
    await ingest(outpost, 0, TOTAL / 2, ids)
    await eventually(
      async () => expect(await streamCount(client)).toBeGreaterThan(0),
      60_000,
      'first messages'
    )
    await server.stop()
    await ingest(outpost, TOTAL / 2, TOTAL, ids)
    await eventually(
      async () => {
        const pipeline = (await outpost.api.getStats({})).destinations.find((d) => d.id === 'pipeline')
        expect(pipeline?.hold).toBe('offline')
      },
      30_000,
      'the destination shows the server offline'
    )
    await server.start()
    await eventually(
      async () => expect(await streamCount(client)).toBe(TOTAL),
      120_000,
      'stream holds every event'
    )
    expectExactlyOnce(await readStream(client, 'OUTPOST'), ids)
    await eventually(async () => {
      const pipeline = (await outpost.api.getStats({})).destinations.find((d) => d.id === 'pipeline')
      expect(pipeline?.counts.sent).toBe(TOTAL)
      expect(pipeline?.hold).toBeNull()
    }, 30_000)
  })
})
