import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startCollector, type Collector } from '../../src/main/collector'
import { parseConfig } from '../../src/main/config'
import { startMockWhisperr, type MockWhisperr } from '../mocks/whisperr'
import { chromiumAvailable, CHROMIUM, launchChromium } from '../support/browser'
import { signIn } from '../support/console-views'
import { eventually, tempDir } from '../support/temp'
import { whisperrEvent } from '../support/whisperr-events'

const RENDERER_DIR = join(__dirname, '../../out/renderer')
const VENDOR_KEY = 'wrk_live_5e4d3c2b1a09f8e7'
const REQUEST_ID = 'req_Zt81mWq0'

if (!chromiumAvailable) {
  const message = `Chromium not found at ${CHROMIUM}: install it with apt-get install -y chromium`
  if (process.env.CI) throw new Error(message)
  console.warn(`[outpost] skipped: attempt headers e2e test. ${message}`)
}

/** The value of one header line of a table shown in the expanded attempt. */
function headerValue(page: Page, table: string, name: string) {
  return page
    .getByTestId(`attempt-exchange-${table}-headers-line`)
    .filter({ has: page.getByRole('rowheader', { name, exact: true }) })
    .getByRole('cell')
}

describe.skipIf(!chromiumAvailable)("an attempt's request and response in Chromium", () => {
  let upstream: MockWhisperr
  let collector: Collector
  let browser: Browser
  let dir: ReturnType<typeof tempDir>

  beforeAll(async () => {
    upstream = await startMockWhisperr({ apiKey: VENDOR_KEY })
    dir = tempDir('outpost-e2e-attempt-headers')
    collector = await startCollector({
      config: parseConfig({
        destinations: [{ id: 'whisperr', vendor: 'whisperr', baseUrl: upstream.url, apiKey: VENDOR_KEY }]
      }),
      dataDir: dir.path,
      host: '127.0.0.1',
      port: 0,
      adminToken: 'e2e-attempt-headers-token',
      rendererDir: RENDERER_DIR
    })
    browser = await launchChromium()
  })
  afterAll(async () => {
    await browser?.close()
    await collector?.close()
    await upstream?.close()
    dir?.remove()
  })

  it('expands an attempt by keyboard and shows the header the vendor answered, the key masked', async () => {
    upstream.failNext(1, {
      type: 'status',
      status: 422,
      headers: { 'x-request-id': REQUEST_ID },
      body: { error: 'unknown plan' }
    })
    const sent = await fetch(`${collector.url}/whisperr/v1/events/track`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(whisperrEvent({ event_type: 'plan_changed' }))
    })
    expect(sent.status).toBe(202)
    await eventually(async () => expect((await collector.api.getStats({})).counts.failed).toBe(1))

    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } })
    try {
      const page = await context.newPage()
      await signIn(page, collector)
      await page.getByTestId('event-row').first().click()
      const toggle = page.getByTestId('attempt-exchange-toggle')
      await toggle.waitFor()
      expect(await toggle.getAttribute('aria-expanded')).toBe('false')
      await expect.poll(() => page.getByTestId('attempt-exchange').count()).toBe(0)

      await toggle.focus()
      await page.keyboard.press('Enter')
      await page.getByTestId('attempt-exchange').waitFor()
      expect(await toggle.getAttribute('aria-expanded')).toBe('true')
      expect(await page.locator(`#${await toggle.getAttribute('aria-controls')}`).count()).toBe(1)

      expect(await headerValue(page, 'response', 'x-request-id').textContent()).toBe(REQUEST_ID)
      expect(await page.getByTestId('attempt-exchange-response-status').textContent()).toBe('Status 422')
      expect(await page.getByTestId('attempt-exchange-request-line').textContent()).toBe(
        `POST ${upstream.url}${upstream.requests[0]!.path}`
      )
      expect(await headerValue(page, 'request', 'user-agent').textContent()).toBe(
        upstream.requests[0]!.headers['user-agent']
      )
      expect(await headerValue(page, 'request', 'x-api-key').textContent()).toBe('****f8e7')
      expect(await page.locator('body').textContent()).not.toContain(VENDOR_KEY)

      // Space, the other key a button takes, folds it again.
      await page.keyboard.press('Space')
      await expect.poll(() => page.getByTestId('attempt-exchange').count()).toBe(0)
      expect(await toggle.getAttribute('aria-expanded')).toBe('false')
    } finally {
      await context.close()
    }
  })

  it('says an attempt made before Outpost kept headers was not recorded', async () => {
    const [event] = (await collector.api.listEvents({ status: 'failed' })).events
    // An attempt as a version before migration 12 wrote it: no exchange columns.
    const { db } = collector.store
    const attemptId = db
      .prepare(
        `INSERT INTO attempts (destination, started_at, duration_ms, status, outcome, reason, request, response_body, batch_size)
         VALUES ('whisperr', ?, 4, 503, 'retry', 'Whisperr is busy', 'POST /v1/events/batch (1 event, 90 bytes)', NULL, 1)`
      )
      .run(Date.now()).lastInsertRowid
    db.prepare('INSERT INTO attempt_events (event_id, attempt_id) VALUES (?, ?)').run(event!.id, attemptId)

    const context = await browser.newContext({ viewport: { width: 390, height: 844 } })
    try {
      const page = await context.newPage()
      await signIn(page, collector)
      await page.getByTestId('event-row').first().click()
      // Newest first: the old attempt's row leads.
      const toggle = page.getByTestId('attempt-exchange-toggle').first()
      await toggle.focus()
      await page.keyboard.press('Enter')
      await page.getByTestId('attempt-exchange-not-recorded').waitFor()
      expect(await page.getByTestId('attempt-exchange').count()).toBe(1)
      expect(await page.getByTestId('attempt-exchange-not-recorded').textContent()).toMatch(/^Not recorded/)
    } finally {
      await context.close()
    }
  })
})
