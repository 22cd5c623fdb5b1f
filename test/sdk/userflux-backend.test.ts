/**
 * @userflux/backend-js, the vendor's published server SDK, through Outpost and, for reference,
 * straight to the vendor: the vendor behind Outpost must receive the same calls, in the same
 * order, with the same values.
 *
 * The SDK has no base URL option: it posts to https://integration-api.userflux.co with the
 * default axios instance. The test redirects that instance with a request interceptor that
 * swaps the origin only (path and query stay the SDK's own); the SDK's code is not touched.
 */
import UserFlux from '@userflux/backend-js'
import type { AxiosStatic } from 'axios'
import { createRequire } from 'node:module'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startMockUserFlux, type MockUserFlux } from '../mocks/userflux'
import { startTestCollector, type TestCollector } from '../support/collector'
import { outboxDrained, userFluxCalls } from './vendor-calls'

const API_KEY = 'uf_write_backend'
const USERFLUX_ORIGIN = 'https://integration-api.userflux.co'
/** A fixed event time, as an app passes it: both runs then send byte-equal events. */
const AT = Date.UTC(2026, 5, 14, 12, 0, 0)

// The axios the SDK requires (CommonJS), not the ESM build an `import` would load here.
const sdkPath = createRequire(import.meta.url).resolve('@userflux/backend-js')
const axios = createRequire(sdkPath)('axios') as AxiosStatic

let vendor: MockUserFlux
let behindOutpost: MockUserFlux
let outpost: TestCollector
/** Where the SDK's requests go now: the vendor mock, or Outpost's UserFlux destination. */
let target = ''
let interceptor: number

beforeAll(() => {
  interceptor = axios.interceptors.request.use((config) => {
    const url = new URL(config.url ?? '')
    if (url.origin !== USERFLUX_ORIGIN) throw new Error(`the SDK posted to an unexpected URL: ${config.url}`)
    return { ...config, url: `${target}${url.pathname}${url.search}` }
  })
})
afterAll(() => axios.interceptors.request.eject(interceptor))

beforeEach(async () => {
  vendor = await startMockUserFlux({ apiKey: API_KEY })
  behindOutpost = await startMockUserFlux({ apiKey: API_KEY })
  outpost = await startTestCollector({
    destinations: [{ id: 'userflux', vendor: 'userflux', baseUrl: behindOutpost.url, apiKey: API_KEY }]
  })
})
afterEach(async () => {
  await outpost.close()
  await vendor.close()
  await behindOutpost.close()
})

/**
 * Runs the same calls against the vendor and through Outpost, awaiting each as an app may; every
 * call must be answered 204 (the SDK logs and swallows any failure, so its result is the only sign).
 */
async function runBoth(calls: (userflux: UserFlux) => Promise<unknown>[]) {
  for (const [name, url] of [
    ['vendor', vendor.url],
    ['outpost', `${outpost.url}/userflux`]
  ] as const) {
    target = url
    const answers = []
    for (const call of calls(new UserFlux(API_KEY))) answers.push(await call)
    expect(
      answers.map((answer) => (answer as { status?: number } | undefined)?.status),
      name
    ).toEqual(answers.map(() => 204))
  }
  await outboxDrained(outpost)
  expect(vendor.rejections).toEqual([])
  expect(behindOutpost.rejections).toEqual([])
  return { direct: userFluxCalls(vendor.requests), forwarded: userFluxCalls(behindOutpost.requests) }
}

const purchase = {
  userId: 'user_1',
  event: 'purchase',
  timestamp: AT,
  properties: { sku: 'tea', cents: 450 }
}

describe('@userflux/backend-js through Outpost', () => {
  it('delivers two equal purchases with the same timestamp: both', async () => {
    const { direct, forwarded } = await runBoth((userflux) => [
      userflux.track(purchase),
      userflux.track(purchase)
    ])

    expect(direct).toHaveLength(2)
    expect(direct[1]).toEqual(direct[0])
    expect(forwarded).toEqual(direct)
  })

  it('delivers profile calls plan pro, basic, pro: all three, in order', async () => {
    const { direct, forwarded } = await runBoth((userflux) =>
      ['pro', 'basic', 'pro'].map((plan) => userflux.identify({ userId: 'user_1', properties: { plan } }))
    )

    expect(direct.map((call) => call.body)).toEqual(
      ['pro', 'basic', 'pro'].map((plan) => ({ userId: 'user_1', properties: { plan }, deviceData: null }))
    )
    expect(forwarded).toEqual(direct)
  })

  it('forwards events and profiles in the order the SDK sent them, with their values and query', async () => {
    const { direct, forwarded } = await runBoth((userflux) => [
      userflux.identify({ userId: 'user_2', anonymousId: 'anon_2', properties: { plan: 'pro', seats: 3 } }),
      userflux.track({
        anonymousId: 'anon_2',
        sessionId: 'session_9',
        event: 'page_viewed',
        timestamp: AT + 1,
        properties: { path: '/pricing', nested: { list: [1, null, 'x'] } }
      }),
      userflux.track({
        userId: 'user_2',
        event: 'usage_reported',
        timestamp: AT + 2,
        locationEnrichEnabled: true,
        properties: {
          max_safe: Number.MAX_SAFE_INTEGER,
          beyond_safe: 2 ** 53 + 2,
          huge: 1e21,
          smallest: 5e-324,
          sum: 0.1 + 0.2,
          whole_float: 1.0
        }
      }),
      userflux.identify({ userId: 'user_2', properties: { plan: 'basic' } }),
      userflux.track({ ...purchase, userId: 'user_2', timestamp: AT + 3 })
    ])

    expect(direct.map((call) => `${call.kind}${call.query}`)).toEqual([
      'profile?locationEnrichment=false',
      'event?locationEnrichment=false',
      'event?locationEnrichment=true',
      'profile?locationEnrichment=false',
      'event?locationEnrichment=false'
    ])
    expect(forwarded).toEqual(direct)
  })
})
