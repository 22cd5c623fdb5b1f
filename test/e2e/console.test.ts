import { readFileSync } from 'node:fs'
import type { Page } from 'playwright-core'
import { beforeAll, describe, expect, it } from 'vitest'
import type { EventFilter, ExportedEvent } from '../../src/shared/model'
import { chromiumAvailable, reportMissingChromium } from '../support/browser'
import { CONSOLE_ADMIN_TOKEN, ConsolePage, consoleSuite, whisperrAndKeyless } from '../support/console'
import { whisperrEvent } from '../support/whisperr-events'

reportMissingChromium('console e2e tests')

describe.skipIf(!chromiumAvailable)('web console in Chromium', () => {
  const suite = consoleSuite({
    label: 'outpost-e2e',
    ...whisperrAndKeyless,
    sync: { backoffBaseMs: 50, backoffMaxMs: 500 }
  })
  beforeAll(() => expect(suite.collector.consoleServed).toBe(true))

  /** An event's JSON text with numbers JSON.stringify cannot write: a big integer and `1.0`. */
  const withExactNumbers = (event: object) =>
    JSON.stringify(event).replace('"properties":{', '"properties":{"order":12345678901234567890,"ratio":1.0,')

  /** The session cookie as the browser keeps it, and whether the page's script can see it. */
  const sessionCookieOf = async (page: Page) => ({
    cookie: (await page.context().cookies(suite.collector.url)).find(
      (cookie) => cookie.name === 'outpost_session'
    ),
    seenByScript: await page.evaluate<boolean>("document.cookie.includes('outpost_session')")
  })
  /** What the page's script stored, in this tab and for the origin. */
  const storedByPage = (page: Page) =>
    page.evaluate<string>('JSON.stringify({ ...sessionStorage }) + JSON.stringify({ ...localStorage })')

  it('asks for the admin token when not signed in, and trades it for a session cookie the page never holds', async () => {
    const ui = new ConsolePage(await suite.browser.newPage(), suite.collector)
    const { page } = ui
    await ui.openSignInForm()
    // Not signed in yet is not a refusal: the form explains itself.
    expect(await page.getByRole('alert').count()).toBe(0)
    await page.getByTestId('token-input').fill('wrong-token')
    await page.getByTestId('token-submit').click()
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/refused that admin token/)
    await page.getByTestId('token-input').fill(CONSOLE_ADMIN_TOKEN)
    await page.getByTestId('token-submit').click()
    await ui.ready()
    const { cookie, seenByScript } = await sessionCookieOf(page)
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' })
    expect(seenByScript).toBe(false)
    expect(await storedByPage(page)).not.toContain(CONSOLE_ADMIN_TOKEN)
    // The cookie outlives the page: a reload is still signed in.
    await page.reload()
    await ui.ready()
    await page.close()
  })

  it('signs in from a one-time login link that leaves no secret in the address bar or history', async () => {
    const link = suite.collector.loginLink()
    const ui = new ConsolePage(await suite.browser.newPage(), suite.collector)
    const { page } = ui
    await page.goto(link)
    await ui.ready()
    expect(page.url()).toBe(`${suite.collector.url}/`)
    expect((await sessionCookieOf(page)).cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' })
    expect(await storedByPage(page)).toBe('{}{}')
    // The link stays in history, spent: opened again, in another browser, it signs nobody in.
    const other = await suite.browser.newPage()
    const again = await other.goto(link)
    expect(again?.status()).toBe(401)
    expect(await other.textContent('body')).toMatch(/already used or has expired/)
    expect((await sessionCookieOf(other)).cookie).toBeUndefined()
    await other.close()
    await page.close()
  })

  it('shows events arriving live, their status, and one event in detail', async () => {
    const ui = await ConsolePage.open(suite.browser, suite.collector)
    expect(await ui.page.getByTestId('ingest-url-whisperr').textContent()).toBe(
      `${suite.collector.url}/whisperr`
    )

    const events = [
      whisperrEvent({ event_type: 'checkout_started', external_user_id: 'zoe' }),
      whisperrEvent(),
      whisperrEvent()
    ]
    const texts = [withExactNumbers(events[0]!), ...events.slice(1).map((event) => JSON.stringify(event))]
    expect((await suite.post('/whisperr/v1/events/batch', `{"events":[${texts.join(',')}]}`)).status).toBe(
      202
    )

    await expect.poll(() => ui.rows().count(), { timeout: 10_000 }).toBe(3)
    await expect.poll(() => ui.total('sent').textContent(), { timeout: 10_000 }).toBe('3')
    await expect.poll(() => ui.rows().first().getAttribute('data-status'), { timeout: 10_000 }).toBe('sent')

    await ui.page.locator('[data-testid="event-row"]', { hasText: 'checkout_started' }).click()
    const detail = ui.page.getByTestId('event-detail')
    await expect
      .poll(() => detail.getByTestId('payload').textContent())
      .toContain('"external_user_id": "zoe"')
    // Pretty-printed without changing a value: every digit, and 1.0 as written.
    const shown = (await detail.getByTestId('payload').textContent()) ?? ''
    expect(shown).toContain('"order": 12345678901234567890')
    expect(shown).toContain('"ratio": 1.0')
    await expect.poll(() => detail.getByTestId('attempt-row').count()).toBe(1)
    await ui.page.close()
  })

  it('shows a destination as offline while the upstream is down, then delivering', async () => {
    const ui = await ConsolePage.open(suite.browser, suite.collector)
    await suite.whisperr.stop()
    await suite.post('/whisperr/v1/events/track', whisperrEvent({ event_type: 'offline_event' }))
    await expect
      .poll(() => ui.destinationState('whisperr').textContent(), { timeout: 10_000 })
      .toMatch(/Offline/)
    await expect.poll(() => ui.total('retrying').textContent(), { timeout: 10_000 }).toBe('1')
    await suite.whisperr.restart()
    await expect.poll(() => ui.total('retrying').textContent(), { timeout: 15_000 }).toBe('0')
    await expect
      .poll(() => ui.destinationState('whisperr').textContent(), { timeout: 10_000 })
      .toMatch(/Delivering/)
    await ui.page.close()
  })

  it('pauses and resumes a destination from the UI', async () => {
    const ui = await ConsolePage.open(suite.browser, suite.collector)
    await ui.page.getByTestId('pause-whisperr').click()
    await expect.poll(() => ui.destinationState('whisperr').textContent()).toMatch(/Paused/)
    await suite.post('/whisperr/v1/events/track', whisperrEvent({ event_type: 'held_event' }))
    await expect.poll(() => ui.total('queued').textContent(), { timeout: 10_000 }).toBe('1')
    await ui.page.getByTestId('resume-whisperr').click()
    await expect.poll(() => ui.total('queued').textContent(), { timeout: 10_000 }).toBe('0')
    await ui.page.close()
  })

  it('lists the requests it refused, with the reason per field and the body as sent, and clears them', async () => {
    const ui = await ConsolePage.open(suite.browser, suite.collector)
    const refused = whisperrEvent({ event_type: 'Signed Up', external_user_id: 'rita' })
    expect(
      (await suite.post('/whisperr/v1/events/batch', { events: [whisperrEvent(), refused] })).status
    ).toBe(400)
    await expect.poll(() => ui.page.getByTestId('view-rejected-count').textContent()).toBe('1')

    await ui.page.getByTestId('view-rejected').click()
    const rows = ui.page.getByTestId('rejection-row')
    await expect.poll(() => rows.count()).toBe(1)
    await rows.first().click()
    const detail = ui.page.getByTestId('rejection-detail')
    expect(await detail.getByTestId('rejection-message').textContent()).toMatch(
      /event 1: event_type must be snake_case/
    )
    const fieldRow = detail.getByTestId('rejection-fields').locator('tbody tr')
    expect(await fieldRow.allTextContents()).toEqual([
      // Counted from 1, as people count: the answer's event 1 is the second of two.
      expect.stringMatching(/^Event 2 of 2event_typemust be snake_case/)
    ])
    expect(await detail.getByTestId('rejection-body').textContent()).toContain('"external_user_id": "rita"')

    // A second refusal arrives live, above the first; the selection stays where it was.
    await suite.post('/whisperr/v1/identify', { traits: {} })
    await expect.poll(() => rows.count()).toBe(2)
    expect(await rows.first().textContent()).toContain('/whisperr/v1/identify')
    expect(await rows.nth(1).getAttribute('aria-selected')).toBe('true')

    await ui.page.getByTestId('clear-rejections').click()
    await expect.poll(() => ui.page.getByTestId('rejections-empty').count()).toBe(1)
    expect(await ui.page.getByTestId('view-rejected-count').textContent()).toBe('0')
    await ui.page.getByTestId('view-events').click()
    await expect.poll(() => ui.page.getByTestId('filter-search').count()).toBe(1)
    await ui.page.close()
  })

  it('finds payload values, narrows by when events were received, and says how many match', async () => {
    const ui = await ConsolePage.open(suite.browser, suite.collector)
    const kiosk = (name: string) => whisperrEvent({ event_type: 'kiosk_opened', properties: { kiosk: name } })
    const events = [kiosk('Berlin-Mitte-07'), kiosk('berlin-mitte-07'), kiosk('Oslo-01')]
    expect((await suite.post('/whisperr/v1/events/batch', { events })).status).toBe(202)
    await ui.page.getByTestId('filter-search').fill('MITTE-07')
    await expect.poll(() => ui.rows().count()).toBe(2)
    await expect
      .poll(() => ui.page.getByTestId('filters-summary').textContent())
      .toBe('2 events match · 2 shown')

    // Received between a minute from now and any later time: none of them.
    const inAMinute = new Date(Date.now() + 60_000)
    const local = new Date(inAMinute.getTime() - inAMinute.getTimezoneOffset() * 60_000)
      .toISOString()
      .slice(0, 16)
    await ui.page.getByTestId('filter-received').selectOption('between')
    await ui.page.getByTestId('filter-received-from').fill(local)
    await expect.poll(() => ui.page.getByTestId('events-empty').count()).toBe(1)
    await expect
      .poll(() => ui.page.getByTestId('filters-summary').textContent())
      .toBe('0 events match · 0 shown')
    await ui.page.getByTestId('filter-received').selectOption('15')
    await expect.poll(() => ui.rows().count()).toBe(2)
    await ui.page.close()
  })

  it('exports the events the filters match, with their payloads, as a download in each format', async () => {
    const ui = await ConsolePage.open(suite.browser, suite.collector)
    const wanted = whisperrEvent({ event_type: 'export_me', external_user_id: 'xena' })
    const sent = withExactNumbers(wanted)
    expect((await suite.post('/whisperr/v1/events/track', sent)).status).toBe(202)
    await ui.page.getByTestId('filter-search').fill('xena')
    await expect.poll(() => ui.rows().count()).toBe(1)

    /** Clicks Export (a plain link: the browser downloads it with the session cookie). */
    const exported = async (format: string) => {
      await ui.page.getByTestId('export-format').selectOption(format)
      const [download] = await Promise.all([
        ui.page.waitForEvent('download'),
        ui.page.getByTestId('export-events').click()
      ])
      expect(download.suggestedFilename()).toMatch(
        new RegExp(`^outpost-events-\\d{4}-\\d{2}-\\d{2}T\\d{2}-\\d{2}-\\d{2}Z\\.${format}$`)
      )
      return readFileSync((await download.path()) as string, 'utf8')
    }

    const json = await exported('json')
    const file = JSON.parse(json) as { query: EventFilter; events: ExportedEvent[] }
    expect(file.query).toEqual({ search: 'xena' })
    expect(file.events).toHaveLength(1)
    expect(file.events[0]).toMatchObject({ name: 'export_me', userKey: 'xena' })
    // The payloads are in the file as the client's own text: every number as it was written.
    expect(json).toContain(`"receivedPayload":${sent},"payload":${sent},`)

    const ndjson = await exported('ndjson')
    expect(ndjson.trim().split('\n')).toHaveLength(1)
    expect(ndjson).toContain(`"payload":${sent},`)

    const csv = await exported('csv')
    expect(csv.split('\r\n')[0]).toMatch(/^id,destination,kind,name,userKey,messageId,/)
    expect(csv).toContain(`"${sent.replace(/"/g, '""')}"`)
    await ui.page.close()
  })

  it('sets a vendor key from the UI, which releases the events held for want of one', async () => {
    const ui = await ConsolePage.open(suite.browser, suite.collector)
    const held = whisperrEvent({ event_type: 'held_for_a_key' })
    expect((await suite.post('/keyless/v1/events/track', held)).status).toBe(202)
    await expect.poll(() => ui.destinationState('keyless').textContent()).toMatch(/Not configured/)
    expect(await ui.page.getByTestId('key-source-keyless').textContent()).toBe('Key: none')

    await ui.page.getByTestId('set-key-keyless').click()
    await ui.page.getByTestId('key-input-keyless').fill('k')
    await ui.page.getByTestId('key-save-keyless').click()
    await expect
      .poll(() => ui.destinationState('keyless').textContent(), { timeout: 10_000 })
      .toMatch(/Delivering/)
    expect(await ui.page.getByTestId('key-source-keyless').textContent()).toBe('Key: set in Outpost')
    await expect
      .poll(() => suite.whisperr.received.has(held.context.$message_id), { timeout: 10_000 })
      .toBe(true)
    await ui.page.close()
  })

  it('lets support fix a refused payload, resend it, and discard a selection; all in the history', async () => {
    const ui = await ConsolePage.open(suite.browser, suite.collector)
    suite.whisperr.failNext(1, { type: 'status', status: 422, body: { error: 'unknown plan' } })
    const refused = whisperrEvent({
      event_type: 'plan_changed',
      external_user_id: 'fiona',
      properties: { plan: 'platnum' }
    })
    await suite.post('/whisperr/v1/events/track', refused)
    await ui.page.getByTestId('filter-search').fill('fiona')
    await expect.poll(() => ui.rows().first().getAttribute('data-status'), { timeout: 10_000 }).toBe('failed')
    await ui.rows().first().click()

    const detail = ui.page.getByTestId('event-detail')
    await detail.getByTestId('event-edit').click()
    // The draft is a CodeMirror editor: its text is typed, as a person would.
    const draft = detail.getByTestId('payload-draft')
    const pretty = (value: unknown) => JSON.stringify(value, null, 2)
    await draft.fill(pretty({ ...refused, event_type: 'Plan Changed' }))
    await detail.getByTestId('draft-save').click()
    await expect
      .poll(() => detail.getByTestId('edit-refusal').textContent())
      .toMatch(/event_type must be snake_case/)

    await draft.fill(pretty({ ...refused, properties: { plan: 'platinum' } }))
    await detail.getByTestId('draft-show-changes').click()
    expect(await detail.getByTestId('json-diff').locator('.diff-added').allTextContents()).toEqual([
      '+     "plan": "platinum"'
    ])
    await detail.getByTestId('draft-save-resend').click()
    await expect.poll(() => ui.rows().first().getAttribute('data-status'), { timeout: 10_000 }).toBe('sent')
    expect(suite.whisperr.received.get(refused.context.$message_id)?.properties).toEqual({ plan: 'platinum' })
    await expect
      .poll(() => detail.getByTestId('history-entry').allTextContents())
      .toEqual([
        expect.stringMatching(/web console resent \(failed → queued\)/),
        expect.stringMatching(/web console edited the payload/)
      ])

    await ui.page.getByTestId('pause-whisperr').click()
    await suite.post('/whisperr/v1/events/track', whisperrEvent({ external_user_id: 'fiona' }))
    await suite.post('/whisperr/v1/events/track', whisperrEvent({ external_user_id: 'fiona' }))
    await expect.poll(() => ui.rows().count(), { timeout: 10_000 }).toBe(3)
    await ui.rows().nth(0).getByTestId('event-check').check()
    await ui.rows().nth(1).getByTestId('event-check').check()
    await ui.page.getByTestId('discard-checked').click()
    await expect.poll(() => ui.notice().textContent()).toMatch(/2 events discarded/)
    await expect.poll(() => ui.total('discarded').textContent()).toBe('2')
    expect(await ui.page.getByTestId('selection-bar').count()).toBe(0)
    await ui.page.getByTestId('resume-whisperr').click()
    await ui.page.close()
  })

  it('keeps a long list light: only the rows in view are in the page, and the keys still reach every row', async () => {
    const ui = await ConsolePage.open(suite.browser, suite.collector)
    const events = Array.from({ length: 400 }, (_, n) =>
      whisperrEvent({ event_type: 'bulk_row', external_user_id: `bulk-${String(n).padStart(3, '0')}` })
    )
    for (const part of [events.slice(0, 200), events.slice(200)]) {
      expect((await suite.post('/whisperr/v1/events/batch', { events: part })).status).toBe(202)
    }
    await ui.page.getByTestId('filter-search').fill('bulk_row')
    const summary = ui.page.getByTestId('filters-summary')
    await expect.poll(() => summary.textContent()).toBe('400 events match · 200 shown, more below')
    await ui.page.getByTestId('load-more').click()
    await expect.poll(() => summary.textContent()).toBe('400 events match · 400 shown')
    expect(await ui.rows().count()).toBeLessThan(100)

    // From the top row, 150 rows down is 150 events older (the list is newest first).
    await ui.page.locator('.event-list').evaluate((list) => list.scrollTo({ top: 0 }))
    await expect.poll(() => ui.rows().first().textContent()).toContain('bulk-399')
    const clicked = ui.rows().first()
    const user = Number(/bulk-(\d{3})/.exec((await clicked.textContent()) ?? '')?.[1])
    await clicked.click()
    for (let n = 0; n < 150; n++) await ui.page.keyboard.press('ArrowDown')
    const expected = `bulk-${String(user - 150).padStart(3, '0')}`
    const selected = ui.page.locator('[data-event-id][aria-selected="true"]')
    await expect.poll(() => selected.textContent()).toContain(expected)
    expect(await selected.isVisible()).toBe(true)
    await expect.poll(() => ui.page.getByTestId('event-detail').textContent()).toContain(expected)

    // A loaded machine draws no frame between keys: 100 presses in one task, each to the element
    // with the keyboard, still move 100 rows, past the rows rendered when they began.
    await ui.page.evaluate(`for (let n = 0; n < 100; n++) {
      const key = { key: 'ArrowDown', code: 'ArrowDown', bubbles: true, cancelable: true }
      document.activeElement.dispatchEvent(new KeyboardEvent('keydown', key))
    }`)
    const further = `bulk-${String(user - 250).padStart(3, '0')}`
    await expect.poll(() => selected.textContent()).toContain(further)
    await expect.poll(() => ui.page.evaluate<string>('document.activeElement.textContent')).toContain(further)
    await ui.page.close()
  })

  it('filters by an exact event name, offered from the names stored, and a user; counts, exports and clears them', async () => {
    const ui = await ConsolePage.open(suite.browser, suite.collector)
    const events = [
      ...[1, 2, 3].map(() => whisperrEvent({ event_type: 'exact_name', external_user_id: 'nf-ann' })),
      ...[1, 2].map(() => whisperrEvent({ event_type: 'exact_name', external_user_id: 'nf-bob' })),
      whisperrEvent({ event_type: 'exact_name_too', external_user_id: 'nf-ann' })
    ]
    expect((await suite.post('/keyless/v1/events/batch', { events })).status).toBe(202)
    const name = ui.page.getByTestId('filter-name')
    await name.focus()
    await expect
      .poll(() =>
        ui.page
          .locator('[data-testid="event-names"] option')
          .evaluateAll((options) => options.map((option) => option.getAttribute('value')))
      )
      .toEqual(expect.arrayContaining(['exact_name', 'exact_name_too']))
    await name.fill('exact_name')
    const summary = ui.page.getByTestId('filters-summary')
    await expect.poll(() => summary.textContent(), { timeout: 10_000 }).toMatch(/^5 events match/)
    await ui.page.getByTestId('filter-user').fill('nf-ann')
    await expect.poll(() => summary.textContent(), { timeout: 10_000 }).toMatch(/^3 events match/)
    expect(await ui.rows().count()).toBe(3)

    await ui.page.getByTestId('export-format').selectOption('ndjson')
    const href = await ui.page.getByTestId('export-events').getAttribute('href')
    const exported = await ui.page.evaluate(async (link) => (await fetch(link!)).text(), href)
    const lines = exported
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as ExportedEvent)
    expect(lines.map((event) => [event.name, event.userKey])).toEqual(Array(3).fill(['exact_name', 'nf-ann']))

    await ui.page.getByTestId('filter-user').fill('nf-nobody')
    await ui.page.getByRole('button', { name: 'Clear filters' }).click()
    expect(await name.inputValue()).toBe('')
    expect(await ui.page.getByTestId('filter-user').inputValue()).toBe('')
    await expect.poll(() => ui.rows().count()).toBeGreaterThanOrEqual(6)
    await ui.page.close()
  })

  it('finds the events of one refused request and resends them together', async () => {
    const ui = await ConsolePage.open(suite.browser, suite.collector)
    suite.whisperr.failNext(1, { type: 'status', status: 422 })
    const batch = [1, 2, 3].map((n) => whisperrEvent({ external_user_id: `gina-${n}` }))
    expect((await suite.post('/whisperr/v1/events/batch', { events: batch })).status).toBe(202)
    await ui.page.getByTestId('filter-search').fill('gina-2')
    await expect.poll(() => ui.rows().first().getAttribute('data-status'), { timeout: 10_000 }).toBe('failed')
    await ui.rows().first().click()

    const detail = ui.page.getByTestId('event-detail')
    await detail.getByTestId('attempt-show-events').click()
    await expect.poll(() => ui.page.getByTestId('filter-request').textContent()).toMatch(/^Request #\d+/)
    expect(await ui.page.getByTestId('filter-search').inputValue()).toBe('')
    await expect
      .poll(async () => (await ui.rows().allTextContents()).map((row) => /gina-\d/.exec(row)?.[0]))
      .toEqual(['gina-3', 'gina-2', 'gina-1'])

    await detail.getByTestId('attempt-resend').click()
    await expect.poll(() => ui.notice().textContent()).toMatch(/3 events resent/)
    await expect
      .poll(
        async () =>
          new Set(await ui.rows().evaluateAll((rows) => rows.map((row) => row.getAttribute('data-status')))),
        {
          timeout: 10_000
        }
      )
      .toEqual(new Set(['sent']))
    await ui.page.getByTestId('filter-request').getByRole('button').click()
    await expect.poll(() => ui.page.getByTestId('filter-request').count()).toBe(0)
    await expect.poll(() => ui.rows().count()).toBeGreaterThan(3)
    await ui.page.close()
  })
})
