import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { startCollector, type Collector } from '../../src/main/collector'
import { parseConfig, type DestinationConfig } from '../../src/main/config'
import { connectors } from '../../src/main/connectors'
import { startMockWhisperr, type MockWhisperr } from '../mocks/whisperr'
import { newEvent } from './outbox-events'
import { tempDir } from './temp'
import { whisperrEvent } from './whisperr-events'

const RENDERER_DIR = join(__dirname, '../../out/renderer')

/** A phone held upright, a small laptop window (or half a kiosk screen), a desktop. */
export const VIEWPORTS = [
  { name: 'phone', width: 390, height: 844 },
  { name: 'small-window', width: 800, height: 700 },
  { name: 'desktop', width: 1440, height: 900 }
] as const
export const THEMES = ['light', 'dark'] as const

/** Events held behind the keyless destination: counts with six digits, as after a week offline. */
export const HELD_EVENTS = 123_456

export interface ConsoleView {
  /** A file name too (docs/screenshots/<name>-<viewport>-<theme>.png). */
  name: string
  title: string
  /** Opened on a collector that has stored nothing yet (the first-run guide), not the busy one. */
  firstRun?: true
  open(page: Page, collector: Collector): Promise<void>
}

export async function signIn(page: Page, collector: Collector): Promise<void> {
  await page.goto(collector.loginLink())
  await page.locator('[data-app-state="ready"]').waitFor({ timeout: 15_000 })
}

async function openFailedEvent(page: Page, collector: Collector): Promise<void> {
  await signIn(page, collector)
  await page.getByTestId('filter-status').selectOption('failed')
  await page.locator('[data-testid="event-row"][data-status="failed"]').first().click()
  await page.getByTestId('attempt-row').first().waitFor()
}

/** Each view a person works in, reached as they would reach it. */
export const CONSOLE_VIEWS: ConsoleView[] = [
  {
    name: 'sign-in',
    title: 'sign-in form',
    async open(page, collector) {
      await page.goto(collector.url)
      await page.locator('[data-app-state="auth"]').waitFor()
    }
  },
  {
    name: 'events',
    title: 'event list',
    async open(page, collector) {
      await signIn(page, collector)
      await page.getByTestId('event-row').first().waitFor()
    }
  },
  {
    name: 'event-detail',
    title: 'event detail of a failed event',
    open: openFailedEvent
  },
  {
    name: 'payload-editor',
    title: 'payload editor',
    async open(page, collector) {
      await openFailedEvent(page, collector)
      await page.getByTestId('event-edit').click()
      await page.getByTestId('payload-draft').waitFor()
    }
  },
  {
    name: 'first-run',
    title: "first run: each vendor's routes and a curl command",
    firstRun: true,
    async open(page, collector) {
      await signIn(page, collector)
      await page.getByTestId('ingest-curl-whisperr').waitFor()
    }
  },
  {
    name: 'name-form',
    title: 'the name form in the top bar, refusing a name',
    async open(page, collector) {
      await signIn(page, collector)
      await page.getByTestId('person-change').click()
      await page.getByTestId('person-input').fill('x'.repeat(70))
      await page.getByTestId('person-save').click()
      await page.getByTestId('person-problem').waitFor()
    }
  },
  {
    name: 'sync-held',
    title: 'what Sync now says of a destination without a key',
    async open(page, collector) {
      await signIn(page, collector)
      await page.getByTestId('sync-keyless').click()
      await page.getByTestId('notice').waitFor()
    }
  },
  {
    name: 'event-inspection',
    title: 'event detail with a nested value selected and both curl commands shown',
    async open(page, collector) {
      await openFailedEvent(page, collector)
      await page.getByTestId('payload').getByRole('treeitem').filter({ hasText: '$message_id' }).click()
      await page.getByTestId('curl-upstream-show').click()
      await page.getByTestId('curl-ingest-show').click()
      await page.getByTestId('curl-ingest').waitFor()
    }
  },
  {
    name: 'attempt-exchange',
    title: 'an attempt expanded, its request and response headers',
    async open(page, collector) {
      await openFailedEvent(page, collector)
      await page.getByTestId('attempt-exchange-toggle').first().click()
      await page.getByTestId('attempt-exchange-response-headers').scrollIntoViewIfNeeded()
    }
  },
  {
    name: 'activity',
    title: 'activity charts of the last hour',
    async open(page, collector) {
      await signIn(page, collector)
      await page.getByTestId('view-activity').click()
      await page.getByTestId('activity-whisperr').waitFor()
    }
  },
  {
    name: 'import',
    title: "the import's summary: a refused line, and a destination to map",
    async open(page, collector) {
      await signIn(page, collector)
      await page.getByTestId('import-open').click()
      // A destination this collector lacks stores nothing: the other views see the same events.
      const event = JSON.stringify(whisperrEvent())
      const line = `{"id":2,"destination":"kiosk-whisperr","kind":"track","messageId":"${JSON.parse(event).context.$message_id}","status":"queued","vendor":"whisperr","upstreamParams":null,"receivedPayload":${event},"payload":${event},"revision":0}`
      await page.getByTestId('import-file').setInputFiles({
        name: 'kiosk.ndjson',
        mimeType: 'application/x-ndjson',
        buffer: Buffer.from(`${line}\n{"id":1,"destination":"whisperr","kind":\n`)
      })
      await page.getByTestId('import-start').click()
      await page.getByTestId('import-mapping').waitFor()
    }
  },
  {
    name: 'bulk-confirm',
    title: 'the confirmation of a discard of every event the filters match',
    async open(page, collector) {
      await signIn(page, collector)
      await page.getByTestId('filter-destination').selectOption('keyless')
      // Never confirmed: the other views see the same events.
      await page.getByTestId('bulk-discard').click()
      await page.getByTestId('bulk-confirm').waitFor()
    }
  },
  {
    name: 'rejected',
    title: 'rejected requests with one open',
    async open(page, collector) {
      await signIn(page, collector)
      await page.getByTestId('view-rejected').click()
      await page.getByTestId('rejection-row').first().click()
      await page.getByTestId('rejection-detail').waitFor()
    }
  },
  {
    name: 'rejected-batch',
    title: 'a refused 500-event batch: its refused event, and the start of its body',
    async open(page, collector) {
      await signIn(page, collector)
      await page.getByTestId('view-rejected').click()
      // Refused before the two-event batch, so listed after it.
      await page.getByTestId('rejection-row').nth(1).click()
      await page.getByTestId('refused-event').waitFor()
    }
  },
  {
    name: 'shortcuts',
    title: 'the keyboard shortcuts (the ? key)',
    async open(page, collector) {
      await signIn(page, collector)
      await page.getByTestId('event-row').first().waitFor()
      await page.keyboard.press('?')
      await page.getByTestId('shortcuts-dialog').waitFor()
    }
  }
]

export interface ConsoleWithEveryState {
  collector: Collector
  /** The collector a view opens on: the busy one, or one that has stored nothing (the first-run guide). */
  collectorFor(view: ConsoleView): Collector
  upstream: MockWhisperr
  close(): Promise<void>
}

/** The request id the vendor gives its refusal of the failed event (a response header). */
export const CONSOLE_REQUEST_ID = 'req_8Kx2Vq4N'

/** The key the `-keyed` first-run destinations take from their clients. */
export const FIRST_RUN_INGEST_KEY = 'kiosk-ingest-key-1'

/**
 * A destination of every vendor, and each again behind an ingest key (`<vendor>-keyed`). None has
 * a vendor key: what they take stays queued, and nothing leaves the machine.
 */
export const firstRunDestinations = (): DestinationConfig[] =>
  connectors.flatMap(({ vendor }) => [
    { id: vendor, vendor },
    { id: `${vendor}-keyed`, vendor, ingestKeys: [FIRST_RUN_INGEST_KEY] }
  ])

/** A collector that has stored nothing, with firstRunDestinations(). */
export async function startFirstRunCollector(): Promise<{ collector: Collector; close(): Promise<void> }> {
  const dir = tempDir('outpost-first-run')
  const collector = await startCollector({
    config: parseConfig({ destinations: firstRunDestinations() }),
    dataDir: dir.path,
    host: '127.0.0.1',
    port: 0,
    adminToken: 'first-run-token',
    rendererDir: RENDERER_DIR,
    env: {}
  })
  return {
    collector,
    async close() {
      await collector.close()
      dir.remove()
    }
  }
}

/**
 * A collector whose console has something in every view: delivered events, one the vendor
 * refused (failed), six-digit counts held behind a destination without a key, and two refused
 * ingest requests (a batch of 500 whose body is kept cut, then a batch of two).
 */
export async function startConsoleWithEveryState(): Promise<ConsoleWithEveryState> {
  const upstream = await startMockWhisperr({ apiKey: 'k' })
  const dir = tempDir('outpost-console-views')
  const collector = await startCollector({
    config: parseConfig({
      destinations: [
        { id: 'whisperr', vendor: 'whisperr', baseUrl: upstream.url, apiKey: 'k' },
        { id: 'keyless', vendor: 'whisperr', baseUrl: upstream.url }
      ]
    }),
    dataDir: dir.path,
    host: '127.0.0.1',
    port: 0,
    adminToken: 'console-views-token',
    rendererDir: RENDERER_DIR
  })
  const send = async (path: string, body: unknown, expected: number) => {
    const response = await fetch(collector.url + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body)
    })
    if (response.status !== expected) throw new Error(`${path} answered ${response.status}, not ${expected}`)
  }
  const events = Array.from({ length: 30 }, (_, i) =>
    whisperrEvent({
      event_type: i % 3 ? 'checkout_completed' : 'trial_started',
      external_user_id: `user_${i}`
    })
  )
  await send('/whisperr/v1/events/batch', { events }, 202)
  await upstream.waitForEvents(30)
  upstream.failNext(1, {
    type: 'status',
    status: 422,
    headers: { 'x-request-id': CONSOLE_REQUEST_ID },
    body: { error: 'unknown plan' }
  })
  await send('/whisperr/v1/events/track', whisperrEvent({ event_type: 'plan_changed' }), 202)
  const held = Array.from({ length: HELD_EVENTS }, (_, i) =>
    newEvent(`held-${i}`, { destination: 'keyless', userKey: `kiosk_${i % 40}` })
  )
  collector.store.outbox.enqueueEvents([held], Date.now())
  const batch = Array.from({ length: 500 }, (_, n) =>
    whisperrEvent({ event_type: n === 436 ? 'Checkout Started' : 'checkout_started' })
  )
  await send('/whisperr/v1/events/batch', { events: batch }, 400)
  const refused = whisperrEvent({ event_type: 'Signed Up' })
  await send('/whisperr/v1/events/batch', { events: [whisperrEvent(), refused] }, 400)
  await waitFor(async () => (await collector.api.getStats({})).counts.failed === 1)
  const firstRun = await startFirstRunCollector()
  return {
    collector,
    collectorFor: (view) => (view.firstRun ? firstRun.collector : collector),
    upstream,
    async close() {
      await firstRun.close()
      await collector.close()
      await upstream.close()
      dir.remove()
    }
  }
}

/** Polls outside a test (expect.poll works inside one only). */
async function waitFor(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`not true within ${timeoutMs} ms: ${condition.toString()}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
