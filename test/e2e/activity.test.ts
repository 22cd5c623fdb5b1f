import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startCollector, type Collector } from '../../src/main/collector'
import { parseConfig } from '../../src/main/config'
import { startMockWhisperr, type MockWhisperr } from '../mocks/whisperr'
import { chromiumAvailable, CHROMIUM, launchChromium } from '../support/browser'
import { signIn } from '../support/console-views'
import { tempDir } from '../support/temp'
import { whisperrEvent } from '../support/whisperr-events'

const RENDERER_DIR = join(__dirname, '../../out/renderer')

if (!chromiumAvailable) {
  const message = `Chromium not found at ${CHROMIUM}: install it with apt-get install -y chromium`
  if (process.env.CI) throw new Error(message)
  console.warn(`[outpost] skipped: activity e2e tests. ${message}`)
}

/** Page helpers for the Activity view. */
class ActivityPage {
  constructor(readonly page: Page) {}
  async open() {
    await this.page.getByTestId('view-activity').click()
    await this.chart('whisperr').waitFor()
  }
  chart(destination: string) {
    return this.page.getByTestId(`activity-${destination}`)
  }
  total(destination: string, series: 'received' | 'delivered' | 'failed' | 'backlog') {
    return this.page.getByTestId(`activity-${destination}-${series}`)
  }
  /** What the chart says to a screen reader. */
  summary(destination: string) {
    return this.chart(destination).getByRole('img').getAttribute('aria-label')
  }
  /** The chart's table (for screen readers) added up, column by column. */
  tableTotals(destination: string) {
    return this.chart(destination).evaluate((figure) => {
      const sums = [0, 0, 0]
      for (const row of figure.querySelectorAll('table tbody tr')) {
        const cells = [...row.querySelectorAll('td')].map((cell) =>
          Number(cell.textContent?.replace(/,/g, ''))
        )
        cells.slice(0, 3).forEach((value, index) => (sums[index] = (sums[index] ?? 0) + value))
      }
      return { received: sums[0], delivered: sums[1], failed: sums[2] }
    })
  }
  bars(destination: string, series: 'received' | 'delivered' | 'failed' | 'backlog') {
    return this.chart(destination).locator(`rect.activity-${series}`)
  }
}

describe.skipIf(!chromiumAvailable)('the Activity view in Chromium', () => {
  let upstream: MockWhisperr
  let collector: Collector
  let browser: Browser
  let dir: ReturnType<typeof tempDir>

  beforeAll(async () => {
    upstream = await startMockWhisperr({ apiKey: 'k' })
    dir = tempDir('outpost-e2e-activity')
    collector = await startCollector({
      config: parseConfig({
        destinations: [
          { id: 'whisperr', vendor: 'whisperr', baseUrl: upstream.url, apiKey: 'k' },
          { id: 'keyless', vendor: 'whisperr', baseUrl: upstream.url }
        ]
      }),
      dataDir: dir.path,
      host: '127.0.0.1',
      port: 0,
      adminToken: 'activity-token',
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

  const send = async (path: string, body: unknown) => {
    const answer = await fetch(collector.url + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body)
    })
    expect(answer.status).toBe(202)
  }

  it('charts what came in, was delivered or failed, and the backlog, live, over the hour or the day', async () => {
    await send('/whisperr/v1/events/batch', { events: Array.from({ length: 4 }, () => whisperrEvent()) })
    await upstream.waitForEvents(4)
    upstream.failNext(1, { type: 'status', status: 422, body: { error: 'unknown plan' } })
    await send('/whisperr/v1/events/track', whisperrEvent())
    await send('/keyless/v1/events/batch', { events: [whisperrEvent(), whisperrEvent()] })

    const page = await browser.newPage()
    const activity = new ActivityPage(page)
    await signIn(page, collector)
    await activity.open()
    const totals = (destination: string) =>
      Promise.all(
        (['received', 'delivered', 'failed', 'backlog'] as const).map((series) =>
          activity.total(destination, series).textContent()
        )
      )
    await expect.poll(() => totals('whisperr')).toEqual(['5', '4', '1', '0'])
    await expect.poll(() => totals('keyless')).toEqual(['2', '0', '0', '2'])
    expect(await activity.bars('whisperr', 'received').count()).toBeGreaterThan(0)
    expect(await activity.bars('whisperr', 'failed').count()).toBeGreaterThan(0)
    expect(await activity.bars('keyless', 'backlog').count()).toBeGreaterThan(0)
    expect(await activity.bars('keyless', 'delivered').count()).toBe(0)

    // Live: what arrives while the view is open shows without a reload.
    await send('/whisperr/v1/events/batch', { events: Array.from({ length: 3 }, () => whisperrEvent()) })
    await expect.poll(() => totals('whisperr')).toEqual(['8', '7', '1', '0'])
    expect(await activity.summary('whisperr')).toMatch(
      /^whisperr, the last hour: 8 events in, 7 delivered, 1 failed; backlog 0 now/
    )
    expect(await activity.summary('keyless')).toMatch(
      /2 events in, 0 delivered, 0 failed; backlog 2 now, at most 2/
    )
    expect(await activity.tableTotals('whisperr')).toEqual({ received: 8, delivered: 7, failed: 1 })
    expect(await activity.chart('whisperr').getAttribute('data-buckets')).toBe('60')

    await page.getByTestId('activity-range-day').click()
    await expect.poll(() => activity.chart('whisperr').getAttribute('data-buckets')).toBe('96')
    expect(await page.getByTestId('activity-range-day').getAttribute('aria-pressed')).toBe('true')
    expect(await page.getByTestId('activity-range-hour').getAttribute('aria-pressed')).toBe('false')
    expect(await totals('whisperr')).toEqual(['8', '7', '1', '0'])
    expect(await activity.summary('whisperr')).toMatch(/^whisperr, the last 24 hours: 8 events in/)
    await page.close()
  })
})
