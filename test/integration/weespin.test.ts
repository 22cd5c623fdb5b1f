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
  const register = (body: unknown, headers?: Record<string, string>) =>
    outpost.post('/weespin/initialize-device', body, headers)
  const track = (deviceId: string, n: number, headers?: Record<string, string>) =>
    outpost.post(
      '/weespin/events',
      { event_name: 'add_to_cart', device_id: deviceId, payload: { n, sku: `sku-${n}` } },
      headers
    )

  it('answers a registration at once with a provisional id, then sends everything under the real one', async () => {
    await upstream.stop()
    // The app sends its registration with a key, so a retry of it is the same registration.
    const install = { 'idempotency-key': 'install-K-001' }
    const registration = await register({ platform: 'android', os: '14', serial: 'K-001' }, install)
    expect(registration.status).toBe(200)
    expect(registration.headers.get('x-outpost-provisional')).toBe('true')
    const provisional = (registration.body as Registered).event.device_info.device_id
    expect(provisional).toMatch(/^local_[0-9a-f]{32}$/)
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
    const retried = await register({ platform: 'android', os: '14', serial: 'K-001' }, install)
    expect((retried.body as Registered).event.device_info.device_id).toBe(realId)
    expect(retried.headers.get('x-outpost-provisional')).toBe('false')
    expect(retried.headers.get('x-outpost-duplicates')).toBe('1')
    expect(upstream.devices.size).toBe(1)

    // A tester finds the device's events by the id the app used; each keeps it in the payload as
    // received, and only the device id differs in the payload sent (queued ones and a later one).
    const found = await outpost.api.listEvents({ search: provisional, limit: 100 })
    expect(found.events.map((event) => event.name)).toEqual(Array(21).fill('add_to_cart'))
    for (const { id } of found.events) {
      const detail = await outpost.api.getEvent({ id })
      const received = JSON.parse(detail!.receivedPayload) as Record<string, unknown>
      expect(received.device_id).toBe(provisional)
      expect(JSON.parse(detail!.payload)).toEqual({ ...received, device_id: realId })
      expect(detail!.payload).toBe(detail!.receivedPayload.replace(provisional, realId))
    }
  })

  it('registers two devices for two equal registrations sent without a key', async () => {
    const body = { platform: 'android', os: '14' }
    const ids = [await register(body), await register(body)].map(
      (answer) => (answer.body as Registered).event.device_info.device_id
    )
    expect(ids[0]).not.toBe(ids[1])
    await eventually(() => expect(upstream.devices.size).toBe(2))
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

  it('stores a retry sent with the same Idempotency-Key once; without a key, equal events are two events', async () => {
    const registration = await register({ platform: 'web' })
    await upstream.waitForDevices(1, 5_000)
    const deviceId = (registration.body as Registered).event.device_info.device_id
    const key = { 'idempotency-key': 'tap-1' }
    expect((await track(deviceId, 1, key)).status).toBe(200)
    expect((await track(deviceId, 1, key)).headers.get('x-outpost-duplicates')).toBe('1')
    for (const answer of [await track(deviceId, 2), await track(deviceId, 2)]) {
      expect(answer.status).toBe(200)
      expect(answer.headers.get('x-outpost-duplicates')).toBe('0')
    }
    await eventually(async () => expect(await sent()).toBe(4))
    expect(upstream.events.map((event) => event.payload.n)).toEqual([1, 2, 2])
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
