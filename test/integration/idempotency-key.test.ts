import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startMockUserFlux, type MockUserFlux } from '../mocks/userflux'
import { startMockWeespin, type MockWeespin } from '../mocks/weespin'
import { startMockWhisperr, type MockWhisperr } from '../mocks/whisperr'
import { startTestCollector, type TestCollector } from '../support/collector'
import { eventually } from '../support/temp'

/**
 * Outpost deduplicates only on a key the client gave. For calls the vendor gives no key of their
 * own, that key is the `Idempotency-Key` header: a retried request is stored once, a key reused
 * for another body is refused (nothing stored), and without a key two equal calls are two calls.
 */

const KEYS = { whisperr: 'wh_key', userflux: 'uf_key', weespin: 'ws_key' }

describe('Idempotency-Key', () => {
  let whisperr: MockWhisperr
  let userflux: MockUserFlux
  let weespin: MockWeespin
  let outpost: TestCollector

  beforeEach(async () => {
    whisperr = await startMockWhisperr({ apiKey: KEYS.whisperr })
    userflux = await startMockUserFlux({ apiKey: KEYS.userflux })
    weespin = await startMockWeespin({ apiKey: KEYS.weespin })
    outpost = await startTestCollector({
      destinations: [
        { id: 'whisperr', vendor: 'whisperr', baseUrl: whisperr.url, apiKey: KEYS.whisperr },
        { id: 'userflux', vendor: 'userflux', baseUrl: userflux.url, apiKey: KEYS.userflux },
        { id: 'weespin', vendor: 'weespin', baseUrl: weespin.url, apiKey: KEYS.weespin }
      ]
    })
  })
  afterEach(async () => {
    await outpost.close()
    await Promise.all([whisperr.close(), userflux.close(), weespin.close()])
  })

  const stored = async (destination: string) =>
    (await outpost.api.listEvents({ destination })).events.map((event) => event.messageId)
  const identify = (plan: string) => ({ external_user_id: 'u1', traits: { plan } })
  const purchase = { userId: 'u1', name: 'purchase', timestamp: 1_764_000_000_000, properties: { sku: 'a' } }

  it('stores a retried request once and answers it like the first time', async () => {
    const headers = { 'idempotency-key': 'retry-1' }
    const first = await outpost.post('/whisperr/v1/identify', identify('pro'), headers)
    const retry = await outpost.post('/whisperr/v1/identify', identify('pro'), headers)
    expect(first.status).toBe(202)
    expect(retry).toMatchObject({ status: 202, body: first.body })
    expect(retry.headers.get('x-outpost-duplicates')).toBe('1')
    expect(await stored('whisperr')).toHaveLength(1)
    await eventually(() => expect(whisperr.identifies).toHaveLength(1))
  })

  it('keys each event of a batch by its place: a retried batch is stored once, event by event', async () => {
    const batch = { events: [purchase, purchase, { ...purchase, name: 'refund' }] }
    const headers = { 'idempotency-key': '"8e03978e-40d5-43e8-bc93-6894a57f9324"' }
    expect((await outpost.post('/userflux/event/ingest/batch', batch, headers)).status).toBe(204)
    const retry = await outpost.post('/userflux/event/ingest/batch', batch, headers)
    expect(retry.status).toBe(204)
    expect(retry.headers.get('x-outpost-duplicates')).toBe('3')
    // Two equal purchases in one request are two events: the key names the request, not the content.
    expect(await stored('userflux')).toHaveLength(3)
    await eventually(() =>
      expect(userflux.events.map((received) => received.event.name)).toEqual([
        'purchase',
        'purchase',
        'refund'
      ])
    )
  })

  it('refuses a key reused for another body with 422, storing nothing of it', async () => {
    const headers = { 'idempotency-key': 'plan-change' }
    expect((await outpost.post('/whisperr/v1/identify', identify('pro'), headers)).status).toBe(202)
    const reused = await outpost.post('/whisperr/v1/identify', identify('basic'), headers)
    expect(reused.status).toBe(422)
    expect(reused.body).toMatchObject({ error: 'idempotency_key_reused' })
    expect((reused.body as { message: string }).message).toMatch(
      /"plan-change" was used before with a different body/
    )
    expect(await stored('whisperr')).toHaveLength(1)
    const rejected = await outpost.api.listRejections({})
    expect(rejected[0]).toMatchObject({ status: 422, error: 'idempotency_key_reused' })
  })

  it('refuses a batch that reuses a key in part, and keeps nothing of that batch', async () => {
    const headers = { 'idempotency-key': 'batch-7' }
    await outpost.post('/userflux/event/ingest/batch', { events: [purchase] }, headers)
    const longer = { events: [purchase, { ...purchase, name: 'refund' }] }
    expect((await outpost.post('/userflux/event/ingest/batch', longer, headers)).status).toBe(204)
    const changed = {
      events: [
        { ...purchase, properties: { sku: 'b' } },
        { ...purchase, name: 'other' }
      ]
    }
    expect((await outpost.post('/userflux/event/ingest/batch', changed, headers)).status).toBe(422)
    expect((await outpost.api.listEvents({ destination: 'userflux' })).events.map((e) => e.name)).toEqual([
      'refund',
      'purchase'
    ])
  })

  it('refuses a malformed key with 400 naming the header, and stores nothing', async () => {
    for (const bad of ['', 'has space', 'x'.repeat(256), '"unterminated']) {
      const answer = await outpost.post('/whisperr/v1/identify', identify('pro'), { 'idempotency-key': bad })
      expect(answer.status, bad).toBe(400)
      expect(answer.body).toMatchObject({ errors: [{ field: 'Idempotency-Key' }] })
    }
    expect(await stored('whisperr')).toHaveLength(0)
  })

  it('without a key, two equal calls are two calls: identifies pro, basic, pro all reach Whisperr, in order', async () => {
    for (const plan of ['pro', 'basic', 'pro']) {
      expect((await outpost.post('/whisperr/v1/identify', identify(plan))).status).toBe(202)
    }
    await eventually(() =>
      expect(whisperr.identifies.map((body) => (body.traits as { plan: string }).plan)).toEqual([
        'pro',
        'basic',
        'pro'
      ])
    )
  })

  it('gives a retried keyed device registration the same provisional id, and a new registration a new one', async () => {
    weespin.stop()
    const body = { platform: 'android', os: '14' }
    const deviceIdOf = async (headers: Record<string, string> = {}) => {
      const answer = await outpost.post('/weespin/initialize-device', body, headers)
      expect(answer.status).toBe(200)
      return (answer.body as { event: { device_info: { device_id: string } } }).event.device_info.device_id
    }
    const keyed = await deviceIdOf({ 'idempotency-key': 'install-1' })
    expect(keyed).toMatch(/^local_[0-9a-f]{32}$/)
    expect(await deviceIdOf({ 'idempotency-key': 'install-1' })).toBe(keyed)
    const other = await deviceIdOf()
    expect(other).not.toBe(keyed)
    expect(await deviceIdOf()).not.toBe(other)
    expect(await stored('weespin')).toHaveLength(3)
  })
})

describe('Idempotency-Key across path parameters and query', () => {
  let outpost: TestCollector

  beforeEach(async () => {
    outpost = await startTestCollector({
      destinations: [
        { id: 'embeddables', vendor: 'embeddables' },
        { id: 'userflux', vendor: 'userflux' }
      ]
    })
  })
  afterEach(async () => outpost.close())

  it('refuses the same key and body sent to another Embeddables project, instead of losing it', async () => {
    const body = {
      embeddable_id: 'flow_1',
      timestamp: '2026-06-14T12:00:00.000Z',
      custom_event_name: 'form_submitted',
      custom_event_props: '{}',
      identifiers: [{ key: 'email', value: '"a@b.c"' }]
    }
    const headers = { 'idempotency-key': 'K1' }
    expect((await outpost.post('/embeddables/projects/p1/events', body, headers)).status).toBe(200)
    expect((await outpost.post('/embeddables/projects/p1/events', body, headers)).status).toBe(200)
    expect((await outpost.post('/embeddables/projects/p2/events', body, headers)).status).toBe(422)
    expect((await outpost.api.listEvents({ destination: 'embeddables' })).events).toHaveLength(1)
  })

  it('refuses the same key and body sent with another UserFlux query', async () => {
    const body = { userId: 'u1', name: 'purchase', timestamp: 1_764_000_000_000, properties: {} }
    const headers = { 'idempotency-key': 'K2' }
    expect((await outpost.post('/userflux/event/ingest', body, headers)).status).toBe(204)
    const other = await outpost.post('/userflux/event/ingest?locationEnrichment=true', body, headers)
    expect(other.status).toBe(422)
    expect((await outpost.api.listEvents({ destination: 'userflux' })).events).toHaveLength(1)
  })
})

describe('UserFlux timestamps are judged on their digits', () => {
  let outpost: TestCollector

  beforeEach(async () => {
    outpost = await startTestCollector({ destinations: [{ id: 'userflux', vendor: 'userflux' }] })
  })
  afterEach(async () => outpost.close())

  it('refuses a fraction too small for a double, and takes whole numbers however written', async () => {
    const send = (timestamp: string) =>
      outpost.post(
        '/userflux/event/ingest',
        `{"userId":"u1","name":"purchase","timestamp":${timestamp},"properties":{}}`
      )
    const refused = await send('1764000000000.00001')
    expect(refused.status).toBe(400)
    expect(refused.body).toMatchObject({
      errors: [
        {
          field: 'timestamp',
          reason: 'must be a whole number of epoch milliseconds, got 1764000000000.00001'
        }
      ]
    })
    for (const whole of ['1764000000000', '1764000000000.000', '1.764e12']) {
      expect((await send(whole)).status, whole).toBe(204)
    }
    const { events } = await outpost.api.listEvents({})
    const payloads = await Promise.all(
      events.map(async (event) => (await outpost.api.getEvent({ id: event.id }))!.payload)
    )
    expect(payloads.map((payload) => /"timestamp":([^,]+)/.exec(payload)?.[1]).sort()).toEqual([
      '1.764e12',
      '1764000000000',
      '1764000000000.000'
    ])
  })
})
