import { describe, expect, it } from 'vitest'
import { chromiumAvailable, reportMissingChromium } from '../support/browser'
import { ConsolePage, consoleSuite } from '../support/console'
import { eventually } from '../support/temp'
import { whisperrEvent } from '../support/whisperr-events'

const VENDOR_KEY = 'wrk_live_5e4d3c2b1a09f8e7'
const REQUEST_ID = 'req_Zt81mWq0'

reportMissingChromium('attempt headers e2e tests')

/** Page helpers for an event's delivery attempts, expanded. */
class AttemptsPage extends ConsolePage {
  toggle() {
    return this.page.getByTestId('attempt-exchange-toggle')
  }
  exchange() {
    return this.page.getByTestId('attempt-exchange')
  }
  /** Opens the newest event and expands its newest attempt from the keyboard. */
  async expandNewestAttempt() {
    await this.rows().first().click()
    await this.toggle().first().focus()
    await this.page.keyboard.press('Enter')
    await this.exchange().waitFor()
  }
  /** The value of one header line of the request's or the response's table. */
  headerValue(table: 'request' | 'response', name: string) {
    return this.page
      .getByTestId(`attempt-exchange-${table}-headers-line`)
      .filter({ has: this.page.getByRole('rowheader', { name, exact: true }) })
      .getByRole('cell')
  }
}

describe.skipIf(!chromiumAvailable)("an attempt's request and response in Chromium", () => {
  const suite = consoleSuite({
    label: 'outpost-e2e-attempt-headers',
    upstreams: { whisperr: VENDOR_KEY },
    destinations: ({ whisperr }) => [
      { id: 'whisperr', vendor: 'whisperr', baseUrl: whisperr.url, apiKey: VENDOR_KEY }
    ]
  })

  it('expands an attempt by keyboard and shows the header the vendor answered, the key masked', async () => {
    suite.whisperr.failNext(1, {
      type: 'status',
      status: 422,
      headers: { 'x-request-id': REQUEST_ID },
      body: { error: 'unknown plan' }
    })
    const sent = await suite.post('/whisperr/v1/events/track', whisperrEvent({ event_type: 'plan_changed' }))
    expect(sent.status).toBe(202)
    await eventually(async () => expect((await suite.collector.api.getStats({})).counts.failed).toBe(1))

    const context = await suite.browser.newContext({ viewport: { width: 1440, height: 900 } })
    try {
      const ui = await AttemptsPage.open(context, suite.collector)
      await ui.rows().first().click()
      const toggle = ui.toggle()
      await toggle.waitFor()
      expect(await toggle.getAttribute('aria-expanded')).toBe('false')
      expect(await ui.exchange().count()).toBe(0)

      await toggle.focus()
      await ui.page.keyboard.press('Enter')
      await ui.exchange().waitFor()
      expect(await toggle.getAttribute('aria-expanded')).toBe('true')
      expect(await ui.page.locator(`#${await toggle.getAttribute('aria-controls')}`).count()).toBe(1)

      expect(await ui.headerValue('response', 'x-request-id').textContent()).toBe(REQUEST_ID)
      expect(await ui.page.getByTestId('attempt-exchange-response-status').textContent()).toBe('Status 422')
      expect(await ui.page.getByTestId('attempt-exchange-request-line').textContent()).toBe(
        `POST ${suite.whisperr.url}${suite.whisperr.requests[0]!.path}`
      )
      expect(await ui.headerValue('request', 'user-agent').textContent()).toBe(
        suite.whisperr.requests[0]!.headers['user-agent']
      )
      expect(await ui.headerValue('request', 'x-api-key').textContent()).toBe('****f8e7')
      expect(await ui.page.locator('body').textContent()).not.toContain(VENDOR_KEY)

      // Space, the other key a button takes, folds it again.
      await ui.page.keyboard.press('Space')
      await expect.poll(() => ui.exchange().count()).toBe(0)
      expect(await toggle.getAttribute('aria-expanded')).toBe('false')
    } finally {
      await context.close()
    }
  })

  it('says an attempt made before Outpost kept headers was not recorded', async () => {
    const [event] = (await suite.collector.api.listEvents({ status: 'failed' })).events
    // An attempt as a version before migration 12 wrote it: no exchange columns.
    const { db } = suite.collector.store
    const attemptId = db
      .prepare(
        `INSERT INTO attempts (destination, started_at, duration_ms, status, outcome, reason, request, response_body, batch_size)
         VALUES ('whisperr', ?, 4, 503, 'retry', 'Whisperr is busy', 'POST /v1/events/batch (1 event, 90 bytes)', NULL, 1)`
      )
      .run(Date.now()).lastInsertRowid
    db.prepare('INSERT INTO attempt_events (event_id, attempt_id) VALUES (?, ?)').run(event!.id, attemptId)

    const context = await suite.browser.newContext({ viewport: { width: 390, height: 844 } })
    try {
      const ui = await AttemptsPage.open(context, suite.collector)
      // Newest first: the old attempt's row leads.
      await ui.expandNewestAttempt()
      expect(await ui.exchange().count()).toBe(1)
      expect(await ui.page.getByTestId('attempt-exchange-not-recorded').textContent()).toMatch(
        /^Not recorded/
      )
    } finally {
      await context.close()
    }
  })

  it("says a delivered attempt's body was rebuilt from the events it carried", async () => {
    const before = (await suite.collector.api.getStats({})).counts.sent
    const sent = await suite.post('/whisperr/v1/events/track', whisperrEvent({ event_type: 'plan_renewed' }))
    expect(sent.status).toBe(202)
    await eventually(async () =>
      expect((await suite.collector.api.getStats({})).counts.sent).toBe(before + 1)
    )

    const context = await suite.browser.newContext({ viewport: { width: 1440, height: 900 } })
    try {
      const ui = await AttemptsPage.open(context, suite.collector)
      await ui.expandNewestAttempt()
      expect(await ui.page.getByTestId('attempt-exchange-request-body-rebuilt').textContent()).toBe(
        'Rebuilt from the events it carried.'
      )
      await ui.page.getByTestId('attempt-exchange-request-body-raw').click()
      const received = suite.whisperr.requests.at(-1)!.body
      expect(received).toContain('plan_renewed')
      expect(await ui.page.getByTestId('attempt-exchange-request-body').textContent()).toBe(received)
    } finally {
      await context.close()
    }
  })
})
