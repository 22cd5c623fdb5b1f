import { afterEach, describe, expect, it } from 'vitest'
import { startMockUpstream, type MockUpstream } from '../mocks/mock-upstream'
import { startTestCollector, type TestCollector } from '../support/collector'
import { eventually } from '../support/temp'

/**
 * Several requests in flight per destination (sync.concurrency), through the real collector to a
 * mock Flywheel (one event a request) that answers after a delay of its choosing: each user's
 * events reach the upstream in accepted order, a slow user holds back only itself, one request in
 * flight keeps the whole queue's order, and a 429 pauses the destination, not its neighbours.
 */

const API_KEY = 'fw_concurrent'
/** Quick retries; a timeout well above the slow answers these tests make on purpose. */
const SYNC = { backoffBaseMs: 20, backoffMaxMs: 200, timeoutMs: 10_000 }

interface Delivery {
  user: string
  n: number
  arrivedAt: number
  answeredAt: number
}

/** A Flywheel stand-in that answers each event after `delayFor(user)` ms, logging what it saw and when. */
async function startUpstream(delayFor: (user: string) => number) {
  const deliveries: Delivery[] = []
  let inFlight = 0
  let mostInFlight = 0
  const upstream = await startMockUpstream(async (request) => {
    const { user_id: user, properties } = (
      request.json as { event: { user_id: string; properties: { n: number } } }
    ).event
    inFlight++
    mostInFlight = Math.max(mostInFlight, inFlight)
    await new Promise((resolve) => setTimeout(resolve, delayFor(user)))
    inFlight--
    deliveries.push({ user, n: properties.n, arrivedAt: request.receivedAt, answeredAt: Date.now() })
    return { status: 200, body: { success: true } }
  })
  return { upstream, deliveries, mostInFlight: () => mostInFlight }
}

/** A fixed pseudo-random sequence, so a failure replays the same interleaving and delays. */
function pseudoRandom(seed: number): () => number {
  let state = seed
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31
    return state / 2 ** 31
  }
}

describe('concurrent delivery', () => {
  const upstreams: MockUpstream[] = []
  const collectors: TestCollector[] = []
  afterEach(async () => {
    await Promise.all(collectors.splice(0).map((collector) => collector.close()))
    await Promise.all(upstreams.splice(0).map((upstream) => upstream.close()))
  })

  async function start(upstream: MockUpstream, concurrency: number, id = 'flywheel') {
    upstreams.push(upstream)
    const outpost = await startTestCollector({
      destinations: [{ id, vendor: 'flywheel', baseUrl: upstream.url, apiKey: API_KEY }],
      sync: { concurrency, ...SYNC }
    })
    collectors.push(outpost)
    return outpost
  }

  /** Posts one event at a time, so the accepted order is the order of `users`. */
  async function post(outpost: TestCollector, users: string[], first = 0, id = 'flywheel'): Promise<void> {
    for (const [index, user] of users.entries()) {
      const body = { event: { event: 'lesson_completed', user_id: user, properties: { n: first + index } } }
      expect((await outpost.post(`/${id}/v1/events`, body)).status).toBe(200)
    }
  }

  const sent = async (outpost: TestCollector) => (await outpost.api.getStats({})).counts.sent
  const numbersOf = (deliveries: Delivery[], user: string) =>
    deliveries.filter((delivery) => delivery.user === user).map((delivery) => delivery.n)
  const acceptedOf = (users: string[], user: string) => users.flatMap((each, n) => (each === user ? [n] : []))

  it("keeps each user's order with many requests in flight answered in random order", async () => {
    const random = pseudoRandom(9)
    const { upstream, deliveries, mostInFlight } = await startUpstream(() => Math.floor(random() * 25))
    const outpost = await start(upstream, 8)
    const names = ['ana', 'ben', 'chi', 'dev', 'eve']
    const users = Array.from({ length: 300 }, () => names[Math.floor(random() * names.length)] as string)

    // A backlog first, then events arriving while it drains.
    await outpost.api.pauseDestination({ id: 'flywheel' })
    await post(outpost, users.slice(0, 200))
    await outpost.api.resumeDestination({ id: 'flywheel' })
    await post(outpost, users.slice(200), 200)
    await eventually(async () => expect(await sent(outpost)).toBe(300), 30_000, 'all 300 delivered')

    expect(deliveries).toHaveLength(300)
    for (const user of names) {
      const arrived = [...deliveries].sort((a, b) => a.arrivedAt - b.arrivedAt)
      expect(numbersOf(arrived, user), `${user}'s events in accepted order`).toEqual(acceptedOf(users, user))
    }
    expect(mostInFlight()).toBeGreaterThan(1)
    expect(mostInFlight()).toBeLessThanOrEqual(8)
  })

  it('lets other users go while a slow one waits for its answer', async () => {
    const { upstream, deliveries } = await startUpstream((user) => (user === 'slow' ? 3_000 : 0))
    const outpost = await start(upstream, 4)
    const users = ['slow', ...Array.from({ length: 20 }, (_, n) => (n % 2 ? 'ben' : 'chi')), 'slow']
    await post(outpost, users)

    await eventually(async () => expect(await sent(outpost)).toBe(20), 5_000, 'the 20 quick events delivered')
    // Still waiting on the slow user's first answer; its second event has not been sent.
    expect(upstream.requests.filter((request) => request.status === null)).toHaveLength(1)
    expect(numbersOf(deliveries, 'slow')).toEqual([])
    await eventually(async () => expect(await sent(outpost)).toBe(22), 10_000, 'the slow user delivered')
    expect(numbersOf(deliveries, 'slow')).toEqual([0, 21])
  })

  it('keeps the whole queue in accepted order with one request in flight', async () => {
    const random = pseudoRandom(4)
    const { upstream, deliveries, mostInFlight } = await startUpstream(() => Math.floor(random() * 10))
    const outpost = await start(upstream, 1)
    const users = Array.from({ length: 40 }, (_, n) => ['ana', 'ben', 'chi'][n % 3] as string)
    await outpost.api.pauseDestination({ id: 'flywheel' })
    await post(outpost, users)
    await outpost.api.resumeDestination({ id: 'flywheel' })
    await eventually(async () => expect(await sent(outpost)).toBe(40), 15_000, 'all 40 delivered')
    expect(deliveries.map((delivery) => delivery.n)).toEqual(users.map((_, n) => n))
    expect(mostInFlight()).toBe(1)
  })

  it('pauses the whole destination on a 429 and probes with one request, while another destination goes on', async () => {
    const paused = await startUpstream(() => 50)
    const other = await startUpstream(() => 0)
    upstreams.push(other.upstream)
    const outpost = await startTestCollectorWithTwo(paused.upstream, other.upstream)
    const users = Array.from({ length: 12 }, (_, n) => `user_${n % 6}`)
    await outpost.api.pauseDestination({ id: 'flywheel' })
    await post(outpost, users)
    paused.upstream.failNext(1, { type: 'status', status: 429, headers: { 'retry-after': '1' } })
    await outpost.api.resumeDestination({ id: 'flywheel' })

    // While the first destination waits out the Retry-After, the second delivers.
    await eventually(() => expect(paused.upstream.requests[0]?.status).toBe(429), 5_000, 'the 429')
    const refusedAt = (paused.upstream.requests[0] as { receivedAt: number }).receivedAt
    await post(outpost, ['x', 'y', 'z'], 100, 'other')
    await eventually(() => expect(other.deliveries).toHaveLength(3), 800, 'the other destination delivering')
    expect(Date.now() - refusedAt).toBeLessThan(950)

    await eventually(async () => expect(await sent(outpost)).toBe(15), 10_000, 'everything delivered')
    const arrivals = paused.upstream.requests.map((request) => request.receivedAt - refusedAt)
    // The requests sent with the refused one, before its answer; then nothing for a second.
    const withTheRefused = arrivals.filter((at) => at < 200)
    const afterThePause = arrivals.filter((at) => at >= 200)
    expect(withTheRefused.length).toBeLessThanOrEqual(4)
    expect(Math.min(...afterThePause)).toBeGreaterThanOrEqual(950)
    // The first request after the pause goes alone; the others follow its answer.
    const [probe, ...rest] = [...paused.deliveries].filter((d) => d.arrivedAt - refusedAt >= 200)
    expect(rest.every((delivery) => delivery.arrivedAt >= (probe as Delivery).answeredAt)).toBe(true)
    for (const user of new Set(users)) {
      expect(numbersOf(paused.deliveries, user), `${user}'s events once, in order`).toEqual(
        acceptedOf(users, user)
      )
    }
  })

  async function startTestCollectorWithTwo(first: MockUpstream, second: MockUpstream) {
    upstreams.push(first)
    const outpost = await startTestCollector({
      destinations: [
        { id: 'flywheel', vendor: 'flywheel', baseUrl: first.url, apiKey: API_KEY },
        { id: 'other', vendor: 'flywheel', baseUrl: second.url, apiKey: API_KEY }
      ],
      sync: { concurrency: 4, ...SYNC }
    })
    collectors.push(outpost)
    return outpost
  }
})
