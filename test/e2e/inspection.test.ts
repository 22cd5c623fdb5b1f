import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { promisify } from 'node:util'
import type { BrowserContext } from 'playwright-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { chromiumAvailable, reportMissingChromium } from '../support/browser'
import { ConsolePage, consoleSuite } from '../support/console'
import { whisperrEvent } from '../support/whisperr-events'

const VENDOR_KEY = 'wrk_live_0123456789abcdef'
const CURL = '/usr/bin/curl'

reportMissingChromium('inspection e2e tests')

/** Page helpers for an event's and a rejection's detail: locators and actions, apart from the specs. */
class InspectionPage extends ConsolePage {
  detail() {
    return this.page.getByTestId('event-detail')
  }
  tree(testId = 'payload') {
    return this.page.getByTestId(testId)
  }
  /** The tree's line a person looks at: its key (or, in an array, its value) as shown. */
  line(text: string, testId = 'payload') {
    return this.tree(testId).getByRole('treeitem').filter({ hasText: text }).first()
  }
  focusedLine() {
    return this.page.locator('[role=treeitem]:focus')
  }
  async press(...keys: string[]) {
    for (const key of keys) await this.page.keyboard.press(key)
  }
  /** Clicks a copy button and returns what it put on the clipboard. */
  async copied(testId: string) {
    await this.page.getByTestId(testId).click()
    await expect.poll(() => this.page.getByTestId(testId).textContent()).toBe('Copied')
    return this.clipboard()
  }
  async openEvent(search: string) {
    await this.page.getByTestId('filter-search').fill(search)
    await this.page.locator('[data-testid="event-row"]', { hasText: search }).first().click()
    await this.detail().getByTestId('payload').waitFor()
  }
}

describe.skipIf(!chromiumAvailable)('inspecting an event and a refused request in Chromium', () => {
  const suite = consoleSuite({
    label: 'outpost-e2e-inspection',
    upstreams: { whisperr: VENDOR_KEY },
    destinations: ({ whisperr }) => [
      { id: 'whisperr', vendor: 'whisperr', baseUrl: whisperr.url, apiKey: VENDOR_KEY }
    ]
  })
  let context: BrowserContext

  beforeAll(async () => {
    context = await suite.browser.newContext({ viewport: { width: 1440, height: 900 } })
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: suite.collector.url })
  })

  /** An event whose properties hold a list to walk into, and numbers JSON.stringify cannot write. */
  const itemsEvent = (user: string, eventType = 'order_placed') =>
    JSON.stringify(whisperrEvent({ external_user_id: user, event_type: eventType })).replace(
      /"properties":\{[^}]*\}/,
      '"properties":{"items":[{"sku":"A-1"},{"sku":"B-2"},{"sku":"C-3"}],"first name":"Zoë","order":12345678901234567890,"ratio":1.0}'
    )

  it('walks the payload tree by keyboard alone, folds it, and copies a path and a value as written', async () => {
    // An older event listed below it: were the tree's arrows the list's too, it would be selected.
    expect(
      (await suite.post('/whisperr/v1/events/track', itemsEvent('tree-walker-2', 'older_order'))).status
    ).toBe(202)
    const text = itemsEvent('tree-walker')
    expect((await suite.post('/whisperr/v1/events/track', text)).status).toBe(202)
    const ui = await InspectionPage.open(context, suite.collector)
    await ui.openEvent('tree-walker')
    expect(await ui.rows().count()).toBe(2)
    const title = await ui.detail().locator('.detail-title').textContent()
    expect(title).toBe('order_placed')

    // One tab stop: from Copy value, Tab reaches the tree's selected line, the whole payload.
    await ui.page.getByTestId('payload-copy-value').focus()
    await ui.press('Tab')
    expect(await ui.focusedLine().getAttribute('aria-level')).toBe('1')
    expect(await ui.page.getByTestId('payload-path').textContent()).toBe('(the whole payload)')
    expect(await ui.page.getByTestId('payload-copy-path').isDisabled()).toBe(true)

    // Down to "items", → goes in, down to its third element (folded: deeper than 3 levels start so).
    await ui.press('ArrowDown', 'ArrowDown', 'ArrowDown', 'ArrowDown', 'ArrowDown')
    expect(await ui.focusedLine().textContent()).toBe('"items": [')
    await ui.press('ArrowRight', 'ArrowDown', 'ArrowDown')
    expect(await ui.focusedLine().textContent()).toBe('{…} 1 key')
    expect(await ui.focusedLine().getAttribute('aria-expanded')).toBe('false')
    await ui.press('ArrowRight')
    expect(await ui.focusedLine().getAttribute('aria-expanded')).toBe('true')
    await ui.press('ArrowRight')
    expect(await ui.focusedLine().textContent()).toBe('"sku": "C-3"')
    expect(await ui.page.getByTestId('payload-path').textContent()).toBe('properties.items[2].sku')
    // The list kept its selection: the tree's arrows are the tree's own.
    expect(await ui.detail().locator('.detail-title').textContent()).toBe(title)

    expect(await ui.copied('payload-copy-path')).toBe('properties.items[2].sku')
    expect(await ui.copied('payload-copy-value')).toBe('"C-3"')

    // ← goes up, ← folds; Enter and Space unfold and fold; folded, it says how much it holds.
    await ui.line('"sku": "C-3"').focus()
    await ui.press('ArrowLeft')
    expect(await ui.focusedLine().textContent()).toBe('{')
    await ui.press('ArrowLeft')
    expect(await ui.focusedLine().getAttribute('aria-expanded')).toBe('false')
    await ui.press('Enter')
    expect(await ui.focusedLine().getAttribute('aria-expanded')).toBe('true')
    await ui.press(' ')
    expect(await ui.focusedLine().getAttribute('aria-expanded')).toBe('false')
    await ui.press('ArrowLeft', 'ArrowLeft')
    expect(await ui.focusedLine().textContent()).toBe('"items": […], 3 items')

    // Numbers are copied as the client wrote them.
    await ui.line('"order"').click()
    expect(await ui.copied('payload-copy-value')).toBe('12345678901234567890')
    await ui.line('"ratio"').click()
    expect(await ui.copied('payload-copy-value')).toBe('1.0')
    // Back from the button, Tab lands on the line selected, and Home goes to the top.
    await ui.press('Tab')
    expect(await ui.focusedLine().textContent()).toBe('"ratio": 1.0')
    await ui.press('Home')
    expect(await ui.copied('payload-copy-value')).toBe(text)

    // Raw is the stored text exactly; Pretty prints it with every value as written.
    await ui.page.getByTestId('payload-raw').click()
    expect(await ui.tree().textContent()).toBe(text)
    expect(await ui.page.getByTestId('payload-raw').getAttribute('aria-pressed')).toBe('true')
    await ui.page.getByTestId('payload-pretty').click()
    expect(await ui.tree().textContent()).toContain('"order": 12345678901234567890,"ratio": 1.0')
    await ui.page.close()
  })

  it('copies the upstream request as curl with the key masked unless asked, and the ingest request that works as pasted', async () => {
    await suite.collector.api.pauseDestination({ id: 'whisperr' })
    const text = itemsEvent("o'curl")
    expect((await suite.post('/whisperr/v1/events/track', text)).status).toBe(202)
    const ui = await InspectionPage.open(context, suite.collector)
    await ui.openEvent("o'curl")

    await ui.page.getByTestId('curl-upstream-show').click()
    const shown = (await ui.page.getByTestId('curl-upstream').textContent()) ?? ''
    expect(shown).toContain(`curl '${suite.whisperr.url}/v1/events/batch'`)
    expect(shown).toContain(`-H 'x-api-key: ****cdef'`)
    expect(shown).not.toContain(VENDOR_KEY)
    expect(await ui.page.getByTestId('curl-upstream-notes').textContent()).toMatch(/up to 500 a request/)

    const masked = await ui.copied('curl-upstream-copy')
    expect(masked).toBe(shown)
    const withKey = await ui.copied('curl-upstream-copy-key')
    expect(withKey).toBe(shown.replace('****cdef', VENDOR_KEY))
    // The body is quoted for the shell: the apostrophe in the user id closes and reopens the quotes.
    expect(withKey).toContain(`--data-raw '{"events":[${text.replace(/'/g, `'\\''`)}]}'`)

    const ingest = await ui.copied('curl-ingest-copy')
    expect(ingest).toContain(`curl '${suite.collector.url}/whisperr/v1/events/track'`)
    await ui.page.getByTestId('curl-ingest-show').click()
    expect(await ui.page.getByTestId('curl-ingest').textContent()).toBe(ingest)
    if (existsSync(CURL)) {
      const { stdout } = await promisify(execFile)('/bin/sh', ['-c', ingest], {
        env: { PATH: '/usr/bin:/bin' },
        timeout: 10_000
      })
      // Whisperr tracks are deduplicated by their message id: taken again, stored once.
      expect(JSON.parse(stdout)).toEqual({ accepted: 1, rejected: 0 })
    } else {
      console.warn(`[outpost] skipped: pasting the copied ingest curl. ${CURL} not found`)
    }
    await suite.collector.api.resumeDestination({ id: 'whisperr' })
    await ui.page.close()
  })

  it('shows a refused event of a 500-event batch as "Event 437 of 500", whole, and how much of the body it kept', async () => {
    const events = Array.from({ length: 500 }, (_, n) =>
      JSON.stringify(
        whisperrEvent({
          external_user_id: `batch-user-${n + 1}`,
          event_type: n === 436 ? 'Checkout Started' : 'checkout_started',
          properties: {
            position: n + 1,
            note: 'padding to make the batch larger than what a rejection keeps'
          }
        })
      )
    )
    const body = `{"events":[${events.join(',')}]}`
    expect((await suite.post('/whisperr/v1/events/batch', body)).status).toBe(400)
    const ui = await InspectionPage.open(context, suite.collector)
    await ui.page.getByTestId('view-rejected').click()
    await ui.page.getByTestId('rejection-row').first().click()
    const detail = ui.page.getByTestId('rejection-detail')

    expect(await detail.getByTestId('rejection-batch-size').textContent()).toBe('500 in the batch')
    expect(await detail.getByTestId('rejection-fields').locator('tbody tr').allTextContents()).toEqual([
      expect.stringMatching(/^Event 437 of 500event_typemust be snake_case/)
    ])
    const refused = detail.getByTestId('refused-event')
    expect(await refused.count()).toBe(1)
    expect(await refused.locator('h4').textContent()).toBe('Event 437 of 500')
    expect(await refused.getByRole('tree').getAttribute('aria-label')).toBe('Event 437 of 500')
    await refused.getByTestId('refused-event-436-raw').click()
    expect(await refused.getByTestId('refused-event-436').textContent()).toBe(events[436])

    const kb = Math.round(Buffer.byteLength(body) / 1024)
    expect(await detail.getByTestId('rejection-body-cut').textContent()).toBe(
      `Showing the first 16 KB of ${kb} KB: Outpost keeps only the start.`
    )
    // The body was cut, so it is shown as text, its start exactly as sent.
    expect(await detail.getByTestId('rejection-body').textContent()).toBe(body.slice(0, 16 * 1024))
    expect(await detail.textContent()).not.toMatch(/Event 436\b/)
    await ui.page.close()
  })
})
