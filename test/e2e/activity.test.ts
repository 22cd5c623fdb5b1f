import { describe, expect, it } from 'vitest'
import { chromiumAvailable, reportMissingChromium } from '../support/browser'
import { ConsolePage, consoleSuite, whisperrAndKeyless } from '../support/console'
import { whisperrEvent } from '../support/whisperr-events'

reportMissingChromium('activity e2e tests')

/** Page helpers for the Activity view. */
class ActivityPage extends ConsolePage {
  async openView() {
    await this.page.getByTestId('view-activity').click()
    await this.chart('whisperr').waitFor()
  }
  chart(destination: string) {
    return this.page.getByTestId(`activity-${destination}`)
  }
  seriesTotal(destination: string, series: 'received' | 'delivered' | 'failed' | 'backlog') {
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
  const suite = consoleSuite({ label: 'outpost-e2e-activity', ...whisperrAndKeyless })

  const send = async (path: string, body: unknown) => {
    expect((await suite.post(path, body)).status).toBe(202)
  }

  it('charts what came in, was delivered or failed, and the backlog, live, over the hour or the day', async () => {
    await send('/whisperr/v1/events/batch', { events: Array.from({ length: 4 }, () => whisperrEvent()) })
    await suite.whisperr.waitForEvents(4)
    suite.whisperr.failNext(1, { type: 'status', status: 422, body: { error: 'unknown plan' } })
    await send('/whisperr/v1/events/track', whisperrEvent())
    await send('/keyless/v1/events/batch', { events: [whisperrEvent(), whisperrEvent()] })

    const activity = await ActivityPage.open(suite.browser, suite.collector)
    const { page } = activity
    await activity.openView()
    const totals = (destination: string) =>
      Promise.all(
        (['received', 'delivered', 'failed', 'backlog'] as const).map((series) =>
          activity.seriesTotal(destination, series).textContent()
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
