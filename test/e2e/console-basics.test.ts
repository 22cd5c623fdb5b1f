import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { hostname } from 'node:os'
import { promisify } from 'node:util'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Collector } from '../../src/main/collector'
import { connectors } from '../../src/main/connectors'
import { formatWhen } from '../../src/renderer/src/format'
import { chromiumAvailable, launchChromium, reportMissingChromium } from '../support/browser'
import { ConsolePage, startConsoleCollector, type ConsoleCollector } from '../support/console'
import { FIRST_RUN_INGEST_KEY, firstRunDestinations, startFirstRunCollector } from '../support/console-views'
import { newEvent } from '../support/outbox-events'
import { whisperrEvent } from '../support/whisperr-events'

const CURL = '/usr/bin/curl'
const BASH = '/usr/bin/bash'
const curlAvailable = existsSync(CURL) && existsSync(BASH)
const run = promisify(execFile)

reportMissingChromium('console basics e2e tests')
if (chromiumAvailable && !curlAvailable) {
  console.warn(
    `[outpost] skipped: running the first-run guide's curl commands. ${CURL} or ${BASH} not found: apt-get install -y curl`
  )
}

/** Runs a command as a person pastes it into bash; the HTTP status curl -i printed. */
async function runAsPasted(command: string, env: Record<string, string>): Promise<number> {
  const { stdout } = await run(BASH, ['-c', command], { env: { PATH: '/usr/bin:/bin', ...env } })
  const status = /^HTTP\/[\d.]+ (\d{3})/.exec(stdout)?.[1]
  if (status === undefined) throw new Error(`curl printed no status line:\n${stdout}`)
  return Number(status)
}

const vendorOf = (destination: string) => destination.replace(/-keyed$/, '')

describe.skipIf(!chromiumAvailable)(
  'the console in Chromium: first run, names, sync on a hold, dates',
  () => {
    let browser: Browser

    beforeAll(async () => {
      browser = await launchChromium()
    })
    afterAll(() => browser?.close())

    describe("first run: each vendor's routes, copy buttons, and a curl that works as pasted", () => {
      let firstRun: ConsoleCollector
      let collector: Collector

      beforeAll(async () => {
        firstRun = await startFirstRunCollector()
        collector = firstRun.collector
      })
      afterAll(() => firstRun?.close())

      it("names the device (fleet.deviceId, default the host name) in the window's title and the top bar", async () => {
        const ui = await ConsolePage.open(await browser.newContext(), collector)
        try {
          const deviceId = (await collector.api.getStats({})).deviceId
          expect(deviceId).toBe(hostname().replace(/[^A-Za-z0-9_-]/g, '_'))
          await expect.poll(() => ui.page.title()).toBe(`Outpost · ${deviceId}`)
          expect(await ui.page.getByTestId('device-label').textContent()).toBe(deviceId)
        } finally {
          await ui.page.context().close()
        }
      })

      it("lists every route of each destination's vendor, and copies a URL and a curl command", async () => {
        const context = await browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'] })
        const ui = await ConsolePage.open(context, collector)
        const { page } = ui
        try {
          for (const { id } of firstRunDestinations()) {
            const connector = connectors.find((candidate) => candidate.vendor === vendorOf(id))!
            const expected = connector.routes.map(
              (route) => `POST${collector.url}/${id}${route.path.replace(':projectId', '{projectId}')}`
            )
            const routes = page.getByTestId(`ingest-routes-${id}`).locator('li')
            await expect
              .poll(() => routes.evaluateAll((items) => items.map((li) => li.textContent)))
              .toEqual(expected.map((line) => `${line}Copy`))
            const curl = (await page.getByTestId(`ingest-curl-${id}`).textContent()) ?? ''
            expect(curl).toMatch(new RegExp(`^curl -i '${collector.url}/${id}/`))
            // An ingest key is never shown: the command reads it from the environment.
            expect(curl).not.toContain(FIRST_RUN_INGEST_KEY)
            expect(await page.getByTestId(`ingest-key-note-${id}`).count()).toBe(
              id.endsWith('-keyed') ? 1 : 0
            )
          }

          const whisperrCurl = await page.getByTestId('ingest-curl-whisperr').textContent()
          await page.getByTestId('copy-curl-whisperr').click()
          expect(await ui.clipboard()).toBe(whisperrCurl)
          await expect.poll(() => page.getByTestId('copy-curl-whisperr').textContent()).toBe('Copied')

          const trackUrl = `${collector.url}/whisperr/v1/events/track`
          await page.getByRole('button', { name: `Copy the URL ${trackUrl}` }).click()
          expect(await ui.clipboard()).toBe(trackUrl)
        } finally {
          await context.close()
        }
      })

      it.skipIf(!curlAvailable)(
        'stores an event for every vendor when its curl command, as the console shows it, runs in bash',
        async () => {
          const ui = new ConsolePage(await browser.newPage(), collector)
          const { page } = ui
          try {
            await ui.signIn()
            const commands = new Map<string, string>()
            for (const { id } of firstRunDestinations()) {
              commands.set(id, (await page.getByTestId(`ingest-curl-${id}`).textContent()) ?? '')
            }
            for (const [id, command] of commands) {
              const keyed = id.endsWith('-keyed')
              if (keyed) {
                // Without the key in the environment the collector refuses it: the key is not in the text.
                expect(await runAsPasted(command, {})).toBe(401)
              }
              const status = await runAsPasted(
                command,
                keyed ? { OUTPOST_INGEST_KEY: FIRST_RUN_INGEST_KEY } : {}
              )
              // Each vendor's own success: Whisperr 202, Embeddables, Weespin and Flywheel 200, UserFlux 204.
              expect([200, 202, 204], `${id} answered ${status}`).toContain(status)
              expect((await collector.api.listEvents({ destination: id })).events).toHaveLength(1)
            }
            // What was sent is what the list now shows, in place of the guide.
            await expect.poll(() => ui.rows().count(), { timeout: 10_000 }).toBe(commands.size)
          } finally {
            await page.close()
          }
        }
      )
    })

    describe('a collector whose destinations hold their events', () => {
      let running: ConsoleCollector
      let collector: Collector

      beforeAll(async () => {
        running = await startConsoleCollector({
          label: 'outpost-console-basics',
          destinations: [
            // Paused before it could send to this address, which nothing answers.
            { id: 'whisperr', vendor: 'whisperr', baseUrl: 'http://127.0.0.1:9', apiKey: 'k' },
            // No key: its events stay queued, where a person may edit, discard and resend them.
            { id: 'keyless', vendor: 'whisperr' }
          ]
        })
        ;({ collector } = running)
        await collector.api.pauseDestination({ id: 'whisperr' })
      })
      afterAll(() => running?.close())

      const send = async (destination: string, event: object) => {
        expect((await running.post(`/${destination}/v1/events/track`, event)).status).toBe(202)
      }

      it('records the name given in the top bar with each edit, discard and resend, kept by the browser', async () => {
        const ui = new ConsolePage(await browser.newPage(), collector)
        const { page } = ui
        try {
          await ui.signIn()
          await page.getByTestId('person-change').click()
          await page.getByTestId('person-input').fill('x'.repeat(65))
          await page.getByTestId('person-save').click()
          expect(await page.getByTestId('person-problem').textContent()).toMatch(/longer than 64 characters/)
          await page.getByTestId('person-input').fill('  Zoë Lund ')
          await page.getByTestId('person-input').press('Enter')
          expect(await page.getByTestId('person-name').textContent()).toBe('Zoë Lund')
          expect(await ui.focusedTestId()).toBe('person-change')

          const event = whisperrEvent({ event_type: 'plan_changed', external_user_id: 'nora' })
          await send('keyless', event)
          await ui.rows().filter({ hasText: 'nora' }).click()
          const detail = page.getByTestId('event-detail')
          await detail.getByTestId('event-edit').click()
          await detail
            .getByTestId('payload-draft')
            .fill(JSON.stringify({ ...event, properties: { plan: 'pro' } }))
          await detail.getByTestId('draft-save').click()
          await expect
            .poll(() => ui.history().allTextContents())
            .toEqual([expect.stringMatching(/Zoë Lund \(web console\) edited/)])
          await detail.getByTestId('event-discard').click()
          await expect
            .poll(() => ui.history().allTextContents())
            .toEqual([
              expect.stringMatching(/Zoë Lund \(web console\) discarded/),
              expect.stringMatching(/Zoë Lund \(web console\) edited/)
            ])

          // The browser keeps the name: a reload still acts as Zoë, until she gives none.
          await page.reload()
          await ui.ready()
          expect(await page.getByTestId('person-name').textContent()).toBe('Zoë Lund')
          await page.getByTestId('person-change').click()
          await page.getByTestId('person-input').fill('')
          await page.getByTestId('person-save').click()
          expect(await page.getByTestId('person-name').count()).toBe(0)
          expect(await page.getByTestId('person-change').textContent()).toBe('Give your name')

          await ui.rows().filter({ hasText: 'nora' }).click()
          await page.getByTestId('event-detail').getByTestId('event-resend').click()
          await expect.poll(() => ui.history().allTextContents()).toHaveLength(3)
          expect((await ui.history().allTextContents())[0]).toMatch(/· web console resent/)
        } finally {
          await page.close()
        }
      })

      it('says what Sync now did on a paused destination, and Sync all of each held one', async () => {
        const ui = new ConsolePage(await browser.newPage(), collector)
        const { page } = ui
        try {
          await ui.signIn()
          await send('whisperr', whisperrEvent())
          await send('whisperr', whisperrEvent())
          await expect
            .poll(() => page.getByTestId('destination-count-whisperr-queued').textContent())
            .toBe('2')
          await page.getByTestId('sync-whisperr').click()
          await expect
            .poll(() => ui.notice().textContent())
            .toMatch(/^whisperr is paused, so nothing was sent: its 2 waiting events stay queued, .*Resume/)
          expect(await page.getByTestId('destination-count-whisperr-queued').textContent()).toBe('2')

          await ui.notice().getByRole('button', { name: 'Dismiss' }).click()
          await page.getByTestId('sync-all').click()
          const notice = ui.notice()
          await expect
            .poll(() => notice.textContent())
            .toMatch(/^Sync all: whisperr is paused, so nothing was sent/)
          expect(await notice.textContent()).toMatch(
            /keyless has no API key, so nothing was sent: .* until a key is set/
          )
        } finally {
          await page.close()
        }
      })

      it('shows the date of an event that did not arrive today, the clock alone for one that did', async () => {
        const weekAgo = Date.now() - 8 * 86_400_000
        collector.store.outbox.enqueueEvents(
          [[newEvent('week-old', { destination: 'keyless', name: 'week_old', userKey: 'olga' })]],
          weekAgo
        )
        await send('keyless', whisperrEvent({ external_user_id: 'tom' }))
        // The browser's zone is this process's, so the formatter gives here what the page shows.
        const timezoneId = Intl.DateTimeFormat().resolvedOptions().timeZone
        const context = await browser.newContext({ timezoneId })
        const ui = await ConsolePage.open(context, collector)
        try {
          const timeOf = (user: string) =>
            ui.rows().filter({ hasText: user }).locator('.col-time').textContent()
          await expect.poll(() => timeOf('tom')).toMatch(/^\d{2}:\d{2}:\d{2}\.\d{3}$/)
          const shown = await timeOf('olga')
          expect(shown).toBe(formatWhen(new Date(weekAgo).toISOString()))
          expect(shown).toMatch(/^[A-Z][a-z]{2} \d{1,2} /)
        } finally {
          await context.close()
        }
      })
    })
  }
)
