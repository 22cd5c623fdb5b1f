// @vitest-environment jsdom
/**
 * @whisperr/web, the vendor's browser SDK, in a jsdom page (localStorage, page views, pagehide),
 * sending with the page's `fetch` as it does in a browser: by `fetch` on flush, and by a
 * `keepalive` fetch when the page is hidden. One client posts to Outpost (its documented
 * `baseUrl` option), one straight to the vendor; both see the same page and the same calls,
 * and the vendor behind Outpost must receive what the vendor received directly.
 */
import { WhisperrClient, type WhisperrError } from '@whisperr/web'
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest'
import { startMockWhisperr, type MockWhisperr } from '../mocks/whisperr'
import { startTestCollector, type TestCollector } from '../support/collector'
import { corsCheckingFetch } from './browser-cors'
import {
  maskTimes,
  outboxDrained,
  pseudonymize,
  whisperrCalls,
  type SentRequest,
  type VendorCall
} from './vendor-calls'

/** The few page APIs the test drives; the tests type-check without the DOM library. */
const page = globalThis as unknown as {
  window: { dispatchEvent(event: unknown): boolean; Event: new (type: string) => unknown }
  location: { origin: string }
  localStorage: { clear(): void }
}
/** The page's fetch: jsdom has none, so it is Node's (vitest's jsdom environment keeps it). */
const nodeFetch = globalThis.fetch

const API_KEY = 'wrk_test_web'
const HOUR_MS = 60 * 60 * 1000

let vendor: MockWhisperr
let behindOutpost: MockWhisperr
let outpost: TestCollector
let fetchSpy: MockInstance<typeof fetch>
let clients: WhisperrClient[]
let sdkErrors: WhisperrError[]

beforeEach(async () => {
  vendor = await startMockWhisperr({ apiKey: API_KEY })
  behindOutpost = await startMockWhisperr({ apiKey: API_KEY })
  outpost = await startTestCollector({
    destinations: [
      {
        id: 'whisperr',
        vendor: 'whisperr',
        baseUrl: behindOutpost.url,
        apiKey: API_KEY,
        // The page's own origin: what a kiosk's web app needs to reach Outpost from a browser.
        allowedOrigins: [page.location.origin]
      }
    ]
  })
  fetchSpy = vi.spyOn(globalThis, 'fetch')
  clients = []
  sdkErrors = []
})
afterEach(async () => {
  // The page outlives a test: silence its clients so they never post to a later test's servers.
  for (const client of clients) client.optOut()
  page.localStorage.clear()
  fetchSpy.mockRestore()
  await outpost.close()
  await vendor.close()
  await behindOutpost.close()
})

/**
 * A client as a page would make one, with the SDK's default localStorage queue unless told. No
 * SDK retries: an answer the SDK does not take as delivered shows at once in `sdkErrors`. The
 * timer is out of the way (the test flushes); page views are captured, as by default.
 */
function startClient(baseUrl: string, persistence: 'localStorage' | 'memory' = 'localStorage') {
  const client = new WhisperrClient({
    apiKey: API_KEY,
    baseUrl,
    persistence,
    maxRetries: 0,
    flushIntervalMs: HOUR_MS,
    onError: (error) => sdkErrors.push(error)
  })
  clients.push(client)
  return client
}

/** One client posting to Outpost, one to the vendor with its queue in memory, so they share none. */
function startClients(): { direct: WhisperrClient; viaOutpost: WhisperrClient } {
  return { direct: startClient(vendor.url, 'memory'), viaOutpost: startClient(`${outpost.url}/whisperr`) }
}

/** Every request the page made to Outpost, answered; path relative to the destination's base URL. */
async function sentToOutpost(): Promise<SentRequest[]> {
  const base = `${outpost.url}/whisperr`
  await Promise.allSettled(fetchSpy.mock.results.map((result) => result.value))
  return fetchSpy.mock.calls
    .filter(([url]) => String(url).startsWith(base))
    .map(([url, init]) => ({ path: String(url).slice(base.length), body: String(init?.body) }))
}

/** What each vendor received, once Outpost delivered all the page sent it. */
async function received() {
  const sent = await sentToOutpost()
  await outboxDrained(outpost)
  expect(sdkErrors).toEqual([])
  expect(vendor.rejections).toEqual([])
  expect(behindOutpost.rejections).toEqual([])
  return { direct: whisperrCalls(vendor.requests), forwarded: whisperrCalls(behindOutpost.requests), sent }
}

/** Without what the SDK makes up per client and run: ids (as order of appearance) and times. */
function comparable(calls: VendorCall[]): VendorCall[] {
  return pseudonymize(maskTimes(calls, ['occurred_at']), [
    ['context', '$message_id'],
    ['context', 'session_id'],
    ['anonymous_id']
  ])
}

describe('@whisperr/web in a page, through Outpost', () => {
  it('delivers three identifies of one user (plan pro, basic, pro): all three, in order', async () => {
    const { direct, viaOutpost } = startClients()
    for (const client of [direct, viaOutpost]) {
      for (const plan of ['pro', 'basic', 'pro']) client.identify('user_1', { traits: { plan } })
    }
    await Promise.all([direct.flush(), viaOutpost.flush()])

    const calls = await received()
    const plans = (list: VendorCall[]) =>
      list
        .filter((call) => call.kind === 'identify')
        .map((call) => (call.body as { traits: { plan: string } }).traits.plan)
    expect(plans(calls.direct)).toEqual(['pro', 'basic', 'pro'])
    expect(comparable(calls.forwarded)).toEqual(comparable(calls.direct))
  })

  it('forwards page views, tracks and identifies sent by fetch and by a keepalive fetch on pagehide', async () => {
    const numbers = { beyond_safe: 2 ** 53 + 2, huge: 1e21, sum: 0.1 + 0.2, whole_float: 1.0 }
    const { direct, viaOutpost } = startClients()
    const both = (call: (client: WhisperrClient) => void) => [direct, viaOutpost].forEach(call)

    both((client) => client.track('pricing_viewed', { plan: 'pro' }))
    both((client) => client.identify('user_1', { email: 'ada@example.com', traits: { plan: 'pro' } }))
    // Equal content, each with its own message id: two failed payments, both must arrive.
    both((client) => client.track('payment_failed', numbers))
    both((client) => client.track('payment_failed', numbers))
    both((client) => client.page('account', { tab: 'billing' }))
    await Promise.all([direct.flush(), viaOutpost.flush()])
    // Left in the queue until the page is hidden: sent with keepalive by both clients.
    both((client) => client.track('subscription_cancelled', { reason: 'too_expensive' }))
    page.window.dispatchEvent(new page.window.Event('pagehide'))
    await vendor.waitFor((requests) => whisperrCalls(requests).length >= 7, 2_000, 'the keepalive batch')

    const calls = await received()
    expect(
      calls.direct.map((call) => `${call.kind} ${(call.body as { event_type?: string }).event_type ?? ''}`)
    ).toEqual([
      'track page_viewed',
      'track pricing_viewed',
      'identify ',
      'track payment_failed',
      'track payment_failed',
      'track page_viewed',
      'track subscription_cancelled'
    ])
    const keptAlive = fetchSpy.mock.calls.filter(([, init]) => init?.keepalive).map(([url]) => String(url))
    expect(keptAlive).toEqual([`${vendor.url}/v1/events/batch`, `${outpost.url}/whisperr/v1/events/batch`])
    expect(comparable(calls.forwarded)).toEqual(comparable(calls.direct))
    // Through Outpost, exactly what the page sent it: the SDK's message ids and times, unchanged.
    expect(calls.forwarded).toEqual(whisperrCalls(calls.sent))
  })

  it('works from a page on another origin: the browser lets the SDK reach Outpost (CORS)', async () => {
    const blocked: string[] = []
    fetchSpy.mockImplementation(corsCheckingFetch(nodeFetch, page.location.origin, blocked))
    const client = startClient(`${outpost.url}/whisperr`)
    client.identify('user_1', { traits: { plan: 'pro' } })
    client.track('pricing_viewed', { plan: 'pro' })
    await client.flush()

    expect(blocked).toEqual([])
    const calls = await received()
    expect(calls.forwarded.map((call) => call.kind)).toEqual(['track', 'identify', 'track'])
    expect(calls.forwarded).toEqual(whisperrCalls(calls.sent))
  })
})
