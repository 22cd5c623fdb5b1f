/**
 * @whisperr/node, the vendor's published server SDK, pointed at Outpost (its documented `baseUrl`
 * option) and, for reference, at the vendor directly: the vendor behind Outpost must receive the
 * same calls, each user's in the same order, with the same values.
 */
import { createWhisperr, type WhisperrApi, type WhisperrError, type WhisperrFetch } from '@whisperr/node'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startMockWhisperr, type MockWhisperr } from '../mocks/whisperr'
import { startTestCollector, type TestCollector } from '../support/collector'
import {
  maskTimes,
  outboxDrained,
  pseudonymize,
  whisperrCalls,
  type SentRequest,
  type VendorCall
} from './vendor-calls'

const API_KEY = 'wrk_test_node'

let vendor: MockWhisperr
let behindOutpost: MockWhisperr
let outpost: TestCollector
/** What the SDK sent to Outpost, path relative to the destination's base URL. */
let sentToOutpost: SentRequest[]
let sdkErrors: WhisperrError[]

beforeEach(async () => {
  vendor = await startMockWhisperr({ apiKey: API_KEY })
  behindOutpost = await startMockWhisperr({ apiKey: API_KEY })
  outpost = await startTestCollector({
    destinations: [{ id: 'whisperr', vendor: 'whisperr', baseUrl: behindOutpost.url, apiKey: API_KEY }]
  })
  sentToOutpost = []
  sdkErrors = []
})
afterEach(async () => {
  await outpost.close()
  await vendor.close()
  await behindOutpost.close()
})

/** The global fetch, recording each request the SDK makes (the SDK's documented `fetch` option). */
function recordingFetch(baseUrl: string): WhisperrFetch {
  return async (url, init) => {
    sentToOutpost.push({ path: url.slice(baseUrl.length), body: init.body })
    return fetch(url, init)
  }
}

/**
 * A client as an app would make one; no timer (the test flushes) and no SDK retries, so an answer
 * the SDK does not take as delivered shows at once in `sdkErrors` instead of after its backoff.
 */
function whisperrClient(target: 'vendor' | 'outpost'): WhisperrApi {
  const baseUrl = target === 'vendor' ? vendor.url : `${outpost.url}/whisperr`
  return createWhisperr({
    apiKey: API_KEY,
    baseUrl,
    flushIntervalMs: 0,
    maxRetries: 0,
    onError: (error) => sdkErrors.push(error),
    ...(target === 'outpost' ? { fetch: recordingFetch(baseUrl) } : {})
  })
}

/** Runs the same calls against the vendor and through Outpost; returns what each vendor received. */
async function runBoth(calls: (whisperr: WhisperrApi) => void) {
  for (const target of ['vendor', 'outpost'] as const) {
    const whisperr = whisperrClient(target)
    calls(whisperr)
    await whisperr.shutdown()
  }
  await outboxDrained(outpost)
  expect(sdkErrors).toEqual([])
  expect(vendor.rejections).toEqual([])
  expect(behindOutpost.rejections).toEqual([])
  return { direct: whisperrCalls(vendor.requests), forwarded: whisperrCalls(behindOutpost.requests) }
}

/** Without what the SDK makes up per run: message ids (as order of appearance) and times. */
function comparable(calls: VendorCall[]): VendorCall[] {
  return pseudonymize(maskTimes(calls, ['occurred_at']), [['context', '$message_id']])
}

/**
 * Each user's calls, users sorted by id. Outpost keeps each user's order and may
 * send another user's calls in between (several requests in flight, batches of several users).
 */
function byUser(calls: VendorCall[]): VendorCall[][] {
  const userOf = (call: VendorCall) => (call.body as { external_user_id?: unknown }).external_user_id
  return [...new Set(calls.map(userOf))].sort().map((user) => calls.filter((call) => userOf(call) === user))
}

describe('@whisperr/node through Outpost', () => {
  it('delivers three identifies of one user (plan pro, basic, pro): all three, in order', async () => {
    const { direct, forwarded } = await runBoth((whisperr) => {
      for (const plan of ['pro', 'basic', 'pro']) whisperr.identify('user_1', { traits: { plan } })
    })

    expect(direct.map((call) => call.body)).toEqual([
      { external_user_id: 'user_1', traits: { plan: 'pro' } },
      { external_user_id: 'user_1', traits: { plan: 'basic' } },
      { external_user_id: 'user_1', traits: { plan: 'pro' } }
    ])
    expect(forwarded).toEqual(direct)
  })

  it('forwards tracks and identifies in the order the SDK sent them, with its message ids and values', async () => {
    const payment = { amount_cents: 4900, reason: 'card_declined' }
    const numbers = {
      max_safe: Number.MAX_SAFE_INTEGER,
      beyond_safe: 2 ** 53 + 2,
      huge: 1e21,
      smallest: 5e-324,
      sum: 0.1 + 0.2,
      negative: -17.25,
      whole_float: 1.0
    }
    const { direct, forwarded } = await runBoth((whisperr) => {
      whisperr.track('user_1', 'trial_started', { plan: 'pro', seats: 3, tags: ['a', null] })
      whisperr.identify('user_1', { email: 'ada@example.com', traits: { plan: 'pro' } })
      // Equal content, each with its own message id: two payments that failed, both must arrive.
      whisperr.track('user_1', 'payment_failed', payment)
      whisperr.track('user_1', 'payment_failed', payment)
      whisperr.track('user_2', 'usage_dropped', numbers, { source: 'cron' })
      whisperr.identify('user_1', { traits: { plan: 'basic' }, preferredChannel: 'email' })
      whisperr.track('user_1', 'subscription_cancelled')
    })

    expect(direct.map((call) => call.kind)).toEqual([
      'track',
      'identify',
      'track',
      'track',
      'track',
      'identify',
      'track'
    ])
    expect(byUser(forwarded).map(comparable)).toEqual(byUser(direct).map(comparable))
    // Through Outpost, exactly what the SDK sent it: its message ids and times, unchanged.
    expect(byUser(forwarded)).toEqual(byUser(whisperrCalls(sentToOutpost)))
  })
})
