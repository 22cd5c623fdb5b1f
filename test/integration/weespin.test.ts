import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startMockWeespin, type MockWeespin } from '../mocks/weespin'
import { startTestCollector, type TestCollector } from '../support/collector'
import { eventually } from '../support/temp'

const API_KEY = 'weespin-raw-key'

interface Registered {
  event: { device_info: { device_id: string } }
}

describe('Weespin end to end: offline device registration', () => {
  let upstream: MockWeespin
  let outpost: TestCollector

  beforeEach(async () => {
    upstream = await startMockWeespin({ apiKey: API_KEY })
    outpost = await startTestCollector({
      destinations: [{ id: 'weespin', vendor: 'weespin', baseUrl: upstream.url, apiKey: API_KEY }]
    })
  })
  afterEach(async () => {
    await outpost.close()
    await upstream.close()
  })

  const sent = async () => (await outpost.api.getStats({})).counts.sent
  const register = (body: unknown) => outpost.post('/weespin/initialize-device', body)
  const track = (deviceId: string, n: number) =>
    outpost.post('/weespin/events', {
      event_name: 'add_to_cart',
      device_id: deviceId,
      payload: { n, sku: `sku-${n}` }
    })

  it('answers a registration at once with a provisional id, then sends everything under the real one', async () => {
    await upstream.stop()
    const registration = await register({ platform: 'android', os: '14', serial: 'K-001' })
    expect(registration.status).toBe(200)
    expect(registration.headers.get('x-outpost-provisional')).toBe('true')
    const provisional = (registration.body as Registered).event.device_info.device_id
    expect(provisional).toMatch(/^local_/)
    expect(registration.body).toMatchObject({
      event: {
        event_name: 'app_installed',
        event_type: 'app_installed',
        device_info: { platform: 'android', os: '14' }
      }
    })

    for (let n = 0; n < 20; n++) expect((await track(provisional, n)).status).toBe(200)
    await eventually(async () => expect((await outpost.api.getStats({})).counts.retrying).toBeGreaterThan(0))

    await upstream.restart()
    await eventually(async () => expect(await sent()).toBe(21), 15_000, 'registration and 20 events sent')

    const [first, ...rest] = upstream.log
    expect(first?.kind).toBe('register')
    const realId = first!.deviceId
    expect(realId).toMatch(/^ws_device_/)
    expect(rest).toHaveLength(20)
    expect(rest.every((entry) => entry.kind === 'event' && entry.deviceId === realId)).toBe(true)
    expect(upstream.events.map((event) => event.payload.n)).toEqual(Array.from({ length: 20 }, (_, n) => n))
    expect(upstream.requests.some((request) => request.body.includes(provisional))).toBe(false)
    for (const request of upstream.requests) expect(request.headers.authorization).toBe(API_KEY)

    // The client keeps its provisional id: later events, and a retried registration, use the real one.
    expect((await track(provisional, 20)).status).toBe(200)
    await eventually(() => expect(upstream.events).toHaveLength(21))
    expect(upstream.events[20]?.deviceId).toBe(realId)
    const retried = await register({ platform: 'android', os: '14', serial: 'K-001' })
    expect((retried.body as Registered).event.device_info.device_id).toBe(realId)
    expect(retried.headers.get('x-outpost-provisional')).toBe('false')
    expect(upstream.devices.size).toBe(1)

    const detail = await outpost.api.getEvent({
      id: (await outpost.api.listEvents({ limit: 1 })).events[0]!.id
    })
    expect(detail?.receivedPayload).toMatchObject({ device_id: provisional })
    expect(detail?.payload).toMatchObject({ device_id: realId })
  })

  it('answers with the real device id when Weespin is reachable', async () => {
    const registration = await register({ platform: 'ios', os: '18' })
    expect(registration.headers.get('x-outpost-provisional')).toBe('false')
    const deviceId = (registration.body as Registered).event.device_info.device_id
    expect(upstream.devices.has(deviceId)).toBe(true)
    await track(deviceId, 1)
    await eventually(() => expect(upstream.events.map((event) => event.deviceId)).toEqual([deviceId]))
  })

  it('fails the events of a device whose registration was refused, without sending them', async () => {
    upstream.failNext(1, { type: 'status', status: 400, body: { error: 'bad device' } })
    const registration = await register({ platform: 'ios' })
    const provisional = (registration.body as Registered).event.device_info.device_id
    await track(provisional, 1)
    const failed = await eventually(async () => {
      const page = await outpost.api.listEvents({ status: 'failed' })
      expect(page.events).toHaveLength(2)
      return page.events
    })
    expect(failed[0]?.lastError).toMatch(/registration did not succeed/)
    expect(upstream.requests).toHaveLength(1)
  })

  it('treats an identical event within a minute as a client retry', async () => {
    const registration = await register({ platform: 'web' })
    await upstream.waitForDevices(1, 5_000)
    const deviceId = (registration.body as Registered).event.device_info.device_id
    const first = await track(deviceId, 1)
    const again = await track(deviceId, 1)
    expect(first.status).toBe(200)
    expect(again.headers.get('x-outpost-duplicates')).toBe('1')
    await eventually(async () => expect(await sent()).toBe(2))
    expect(upstream.events).toHaveLength(1)
  })

  it('refuses invalid events naming the field, and stores nothing', async () => {
    const response = await outpost.post('/weespin/events', {
      event_name: 'purchase',
      device_id: 'ws_device_1',
      payload: { items: [1] }
    })
    expect(response).toMatchObject({ status: 400, body: { errors: [{ field: 'payload.items' }] } })
    const missing = await outpost.post('/weespin/events', { device_id: 'ws_device_1' })
    expect(missing).toMatchObject({
      status: 400,
      body: { errors: [{ field: 'event_name', reason: 'is required' }] }
    })
    expect((await outpost.api.listEvents({})).events).toEqual([])
  })

  describe('delivery rules', () => {
    const registeredDevice = async () => {
      const registration = await register({ platform: 'android', os: '15' })
      await upstream.waitForDevices(1, 5_000)
      return (registration.body as Registered).event.device_info.device_id
    }
    const eventRequests = () => upstream.requests.filter((request) => request.path === '/events')

    it('honours Retry-After on 429', async () => {
      const deviceId = await registeredDevice()
      upstream.failNext(1, { type: 'status', status: 429, headers: { 'retry-after': '1' } })
      await track(deviceId, 1)
      await upstream.waitFor(() => eventRequests().length >= 2, 5_000)
      const [first, second] = eventRequests()
      expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(950)
      await eventually(async () => expect(await sent()).toBe(2))
      expect(upstream.events).toHaveLength(1)
    })

    it('retries 5xx with backoff, then delivers once', async () => {
      const deviceId = await registeredDevice()
      upstream.failNext(3, { type: 'status', status: 503 })
      await track(deviceId, 1)
      await eventually(async () => expect(await sent()).toBe(2))
      expect(eventRequests().map((request) => request.status)).toEqual([503, 503, 503, 200])
      expect(upstream.events).toHaveLength(1)
    })

    it('holds delivery on 401 and keeps the event', async () => {
      const deviceId = await registeredDevice()
      upstream.failNext(1, { type: 'status', status: 401, body: { error: 'unauthorized' } })
      await track(deviceId, 1)
      const stats = await eventually(async () => {
        const current = await outpost.api.getStats({})
        expect(current.destinations[0]?.hold).toBe('auth')
        return current
      })
      expect(stats.counts.queued).toBe(1)
      expect(upstream.events).toHaveLength(0)
    })
  })
})
