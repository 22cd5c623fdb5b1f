import { beforeAll, describe, expect, it } from 'vitest'
import { cutOffElements, seriousViolations } from '../support/accessibility'
import { chromiumAvailable, reportMissingChromium } from '../support/browser'
import { ConsolePage, consoleSuite } from '../support/console'
import { newEvent } from '../support/outbox-events'

reportMissingChromium('console bulk action e2e tests')

/** Events waiting for the keyless destination: more than the list loads at once. */
const WAITING = 2_200
/** Events of another destination: with them a search matches more than a count reads (10,000). */
const OTHERS = 10_000

/** Page helpers for the bulk actions: locators and actions, apart from the specs. */
class BulkActionsPage extends ConsolePage {
  dialog() {
    return this.page.getByRole('dialog', { name: 'Discard every matching event' })
  }
  discardAll() {
    return this.page.getByTestId('bulk-discard')
  }
  status() {
    return this.page.getByTestId('bulk-status')
  }
  async filterDestination(id: string) {
    await this.page.getByTestId('filter-destination').selectOption(id)
  }
}

describe.skipIf(!chromiumAvailable)(
  'bulk discard by filter in the console, with a confirmation and an undo',
  () => {
    const suite = consoleSuite({
      label: 'outpost-e2e-bulk',
      destinations: [
        { id: 'keyless', vendor: 'whisperr', baseUrl: 'http://127.0.0.1:9' },
        { id: 'other', vendor: 'whisperr', baseUrl: 'http://127.0.0.1:9' }
      ]
    })

    beforeAll(() => {
      const { outbox } = suite.collector.store
      const waiting = Array.from({ length: WAITING }, (_, i) =>
        newEvent(`w-${i}`, { destination: 'keyless' })
      )
      outbox.enqueueEvents([waiting], Date.now())
      const others = Array.from({ length: OTHERS }, (_, i) => newEvent(`o-${i}`, { destination: 'other' }))
      outbox.enqueueEvents([others], Date.now())
    })

    const countOf = async (filter: { status: 'queued' | 'discarded'; destination?: string }) =>
      (await suite.collector.api.countEvents(filter)).count

    it('discards all 2,200 matching events after a confirmation naming the count and destination, then undoes it', async () => {
      // A phone held upright, dark: the notice with its Undo fits and reads there too.
      const page = await suite.browser.newPage({ viewport: { width: 390, height: 844 }, colorScheme: 'dark' })
      const bulk = new BulkActionsPage(page, suite.collector)
      await bulk.signIn()
      await bulk.filterDestination('keyless')
      await expect.poll(() => bulk.discardAll().textContent()).toBe('Discard all 2,200 matching')
      // Fewer rows are loaded than match: the action is not about the rows shown.
      expect(await bulk.rows().count()).toBeLessThan(WAITING)

      // Esc cancels, and the keyboard is back on the button.
      await bulk.discardAll().click()
      await expect.poll(() => page.getByTestId('bulk-confirm-text').textContent()).toContain('2,200 events')
      expect(await page.getByTestId('bulk-confirm-text').textContent()).toContain('destination keyless')
      expect(await bulk.focusedTestId()).toBe('bulk-cancel')
      await page.keyboard.press('Escape')
      await bulk.dialog().waitFor({ state: 'hidden' })
      expect(await bulk.focusedTestId()).toBe('bulk-discard')
      expect(await countOf({ status: 'discarded' })).toBe(0)

      await bulk.discardAll().click()
      await page.getByTestId('bulk-confirm').click()
      await expect
        .poll(() => bulk.status().textContent(), { timeout: 15_000 })
        .toBe('Discarded 2,200 events.')
      expect(await countOf({ status: 'discarded', destination: 'keyless' })).toBe(WAITING)
      expect(await countOf({ status: 'queued', destination: 'other' })).toBe(OTHERS)
      await page.getByTestId('bulk-undo').waitFor()
      expect({ cutOff: await cutOffElements(page), violations: await seriousViolations(page) }).toEqual({
        cutOff: [],
        violations: []
      })

      // The run's outcome and its Undo outlive a visit to another view: they are the store's.
      await page.getByTestId('view-rejected').click()
      await page.getByTestId('rejections-empty').waitFor()
      expect(await page.getByTestId('bulk-undo').count()).toBe(0)
      await page.getByTestId('view-events').click()
      await expect.poll(() => bulk.status().textContent()).toBe('Discarded 2,200 events.')

      await page.getByTestId('bulk-undo').click()
      await expect
        .poll(() => bulk.status().textContent(), { timeout: 15_000 })
        .toBe('Undone: 2,200 events put back as they were.')
      expect(await countOf({ status: 'queued', destination: 'keyless' })).toBe(WAITING)
      expect(await page.getByTestId('bulk-undo').count()).toBe(0)
      const { events } = await suite.collector.api.listEvents({ destination: 'keyless', limit: 1 })
      const detail = await suite.collector.api.getEvent({ id: events[0]!.id })
      expect(detail?.history.map((action) => [action.action, action.before, action.after])).toEqual([
        ['undo_discard', 'discarded', 'queued'],
        ['discard', 'queued', 'discarded']
      ])
      await bulk.rows().first().click()
      await expect
        .poll(() => bulk.history().first().textContent())
        .toMatch(/web console undid the discard \(discarded → queued\)$/)
      await page.close()
    })

    it('refuses a search whose matches cannot be counted exactly, saying why', async () => {
      const { page } = await ConsolePage.open(suite.browser, suite.collector)
      // Every event is a trial_started.
      await page.getByTestId('filter-search').fill('trial')
      // Past 10,000, or out of time on a busy machine: a count of "at least".
      await expect
        .poll(() => page.getByTestId('bulk-discard').textContent())
        .toMatch(/^Discard all [\d,]+\+ matching$/)
      await page.getByTestId('bulk-discard').click()
      const refusal = page.getByTestId('bulk-refused')
      await refusal.waitFor()
      expect(await refusal.textContent()).toMatch(/more than can be counted exactly/)
      expect(await page.getByTestId('bulk-confirm').count()).toBe(0)
      await page.close()
    })
  }
)
