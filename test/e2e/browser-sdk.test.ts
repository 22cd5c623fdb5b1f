/**
 * @whisperr/web's browser build in Debian's Chromium, on two pages of two origins served on the
 * loopback: a kiosk page whose origin the Whisperr destination allows, and a foreign page it does
 * not. The browser applies CORS itself here (no stand-in): the SDK's JSON POST with `X-API-Key`
 * needs a preflight, which Outpost grants the kiosk only; the foreign page's SDK is refused, and
 * what any page may send without asking (a beacon, a no-cors text/plain fetch) is refused too.
 */
import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import type { WhisperrClient } from '@whisperr/web'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startMockWhisperr, type MockWhisperr } from '../mocks/whisperr'
import { outboxDrained } from '../sdk/vendor-calls'
import { chromiumAvailable, launchChromium, reportMissingChromium } from '../support/browser'
import { startTestCollector, type TestCollector } from '../support/collector'
import { eventually } from '../support/temp'
import { whisperrEvent } from '../support/whisperr-events'

const SDK_BUILD = join(__dirname, '../../node_modules/@whisperr/web/dist/whisperr.global.js')
const API_KEY = 'wrk_kiosk'
const HOUR_MS = 60 * 60 * 1000

reportMissingChromium('browser SDK e2e tests')

/** What the page's script sees of its window; the tests type-check without the DOM library. */
interface KioskWindow {
  whisperr: WhisperrClient
  sdkErrors: string[]
  navigator: { sendBeacon(url: string, data: string): boolean }
}

/**
 * A page loading the SDK with its script-tag loader (README, "Script tag"), pointed at Outpost.
 * No SDK retries and no timer: a refused delivery shows at once in `sdkErrors`, the test flushes.
 */
function kioskPage(outpostBaseUrl: string): string {
  const options = { baseUrl: outpostBaseUrl, persistence: 'memory', maxRetries: 0, flushIntervalMs: HOUR_MS }
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>kiosk</title></head><body>
<script>
  window.sdkErrors = [];
  var whisperr = (window.whisperr = []);
  whisperr._key = ${JSON.stringify(API_KEY)};
  whisperr._opts = Object.assign(${JSON.stringify(options)}, {
    onError: function (error) { window.sdkErrors.push(error.type); }
  });
</script>
<script src="/whisperr.global.js"></script>
</body></html>`
}

/** A static server on 127.0.0.1 for a page and the SDK build; the page's origin is the caller's to name. */
async function servePage(html: () => string): Promise<{ server: Server; port: number }> {
  const sdk = readFileSync(SDK_BUILD)
  const server = createServer((request, response) => {
    if (request.url === '/whisperr.global.js') {
      response.writeHead(200, { 'content-type': 'text/javascript' }).end(sdk)
    } else {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html())
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, port: (server.address() as AddressInfo).port }
}

async function openPage(browser: Browser, url: string): Promise<Page> {
  const page = await browser.newPage()
  await page.goto(url)
  // The loader has replaced its stub array with the client.
  await page.waitForFunction(() => !Array.isArray((globalThis as unknown as KioskWindow).whisperr))
  return page
}

/** The page identifies its user, tracks a checkout and flushes; resolves with the SDK's errors. */
function useSdk(page: Page, user: string): Promise<string[]> {
  return page.evaluate(async (userId) => {
    const kiosk = globalThis as unknown as KioskWindow
    kiosk.whisperr.identify(userId, { traits: { plan: 'pro' } })
    kiosk.whisperr.track('checkout_started', { items: 3 })
    await kiosk.whisperr.flush()
    return kiosk.sdkErrors
  }, user)
}

describe.skipIf(!chromiumAvailable)('a browser SDK on a page of another origin, in Chromium', () => {
  let upstream: MockWhisperr
  let outpost: TestCollector
  let browser: Browser
  const pageServers: Server[] = []
  let kioskOrigin: string
  let foreignOrigin: string

  beforeAll(async () => {
    upstream = await startMockWhisperr({ apiKey: API_KEY })
    // The pages need Outpost's URL and Outpost the pages' origins: the page is written when asked.
    const page = () => kioskPage(`${outpost.url}/whisperr`)
    const [kiosk, foreign] = [await servePage(page), await servePage(page)]
    pageServers.push(kiosk!.server, foreign!.server)
    // Two origins of the same machine: another host name is another origin.
    kioskOrigin = `http://127.0.0.1:${kiosk!.port}`
    foreignOrigin = `http://localhost:${foreign!.port}`
    outpost = await startTestCollector({
      destinations: [
        {
          id: 'whisperr',
          vendor: 'whisperr',
          baseUrl: upstream.url,
          apiKey: API_KEY,
          allowedOrigins: [kioskOrigin]
        }
      ]
    })
    browser = await launchChromium()
  })
  afterAll(async () => {
    await browser?.close()
    await Promise.all(pageServers.map((server) => new Promise((resolve) => server.close(resolve))))
    await outpost?.close()
    await upstream?.close()
  })

  it("delivers the allowed page's events, and stores nothing from the foreign page", async () => {
    const kiosk = await openPage(browser, `${kioskOrigin}/`)
    expect(await useSdk(kiosk, 'kiosk_user')).toEqual([])

    const foreign = await openPage(browser, `${foreignOrigin}/`)
    // The preflight is refused, so the browser fails the SDK's fetch and the SDK keeps its events.
    expect(await useSdk(foreign, 'foreign_user')).toContain('retry_exhausted')
    const trackUrl = `${outpost.url}/whisperr/v1/events/track`
    const event = JSON.stringify(whisperrEvent({ external_user_id: 'foreign_user' }))
    await foreign.evaluate(
      async ({ url, body }) => {
        // What any page can send without a preflight: the attack of issue 8.
        ;(globalThis as unknown as KioskWindow).navigator.sendBeacon(url, body)
        await fetch(url, { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body })
      },
      { url: trackUrl, body: event }
    )
    await eventually(
      async () => {
        const refused = (await outpost.api.listRejections({})).filter((rejection) =>
          rejection.message.includes(foreignOrigin)
        )
        expect(refused.map(({ status, error, url }) => ({ status, error, url }))).toEqual([
          { status: 403, error: 'origin_not_allowed', url: '/whisperr/v1/events/track' },
          { status: 403, error: 'origin_not_allowed', url: '/whisperr/v1/events/track' }
        ])
      },
      10_000,
      "the foreign page's beacon and no-cors fetch refused"
    )

    await outboxDrained(outpost)
    const stored = (await outpost.api.listEvents({})).events
    // The kiosk's page view (captured at load), its identify and its checkout; nothing else.
    expect(stored.map((summary) => summary.name).sort()).toEqual([
      'checkout_started',
      'identify',
      'page_viewed'
    ])
    expect(stored.every((summary) => summary.status === 'sent')).toBe(true)
    expect(upstream.identifies.map((identify) => identify.external_user_id)).toEqual(['kiosk_user'])
    const tracks = [...upstream.received.values()]
    expect(tracks.map((track) => track.event_type).sort()).toEqual(['checkout_started', 'page_viewed'])
    for (const track of tracks) {
      expect((track.context as { page?: { url?: string } }).page?.url).toBe(`${kioskOrigin}/`)
    }
    await kiosk.close()
    await foreign.close()
  })
})
