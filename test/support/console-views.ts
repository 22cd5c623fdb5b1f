import type { DestinationConfig } from '../../src/main/config'
import type { Browser, Page } from 'playwright-core'
import { connectors } from '../../src/main/connectors'
import { ConsolePage, startConsoleCollector, whisperrAndKeyless, type ConsoleCollector } from './console'
import { newEvent } from './outbox-events'
import { eventually } from './temp'
import { whisperrEvent } from './whisperr-events'

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
  open(ui: ConsolePage): Promise<void>
}

async function openFailedEvent(ui: ConsolePage): Promise<void> {
  await ui.signIn()
  await ui.page.getByTestId('filter-status').selectOption('failed')
  await ui.page.locator('[data-testid="event-row"][data-status="failed"]').first().click()
  await ui.page.getByTestId('attempt-row').first().waitFor()
}

/** Each view a person works in, reached as they would reach it. */
export const CONSOLE_VIEWS: ConsoleView[] = [
  {
    name: 'sign-in',
    title: 'sign-in form',
    async open(ui) {
      await ui.openSignInForm()
    }
  },
  {
    name: 'events',
    title: 'event list',
    async open(ui) {
      await ui.signIn()
      await ui.page.getByTestId('event-row').first().waitFor()
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
    async open(ui) {
      await openFailedEvent(ui)
      await ui.page.getByTestId('event-edit').click()
      await ui.page.getByTestId('payload-draft').waitFor()
    }
  },
  {
    name: 'first-run',
    title: "first run: each vendor's routes and a curl command",
    firstRun: true,
    async open(ui) {
      await ui.signIn()
      await ui.page.getByTestId('ingest-curl-whisperr').waitFor()
    }
  },
  {
    name: 'name-form',
    title: 'the name form in the top bar, refusing a name',
    async open(ui) {
      await ui.signIn()
      await ui.page.getByTestId('person-change').click()
      await ui.page.getByTestId('person-input').fill('x'.repeat(70))
      await ui.page.getByTestId('person-save').click()
      await ui.page.getByTestId('person-problem').waitFor()
    }
  },
  {
    name: 'sync-held',
    title: 'what Sync now says of a destination without a key',
    async open(ui) {
      await ui.signIn()
      await ui.page.getByTestId('sync-keyless').click()
      await ui.page.getByTestId('notice').waitFor()
    }
  },
  {
    name: 'event-inspection',
    title: 'event detail with a nested value selected and both curl commands shown',
    async open(ui) {
      await openFailedEvent(ui)
      await ui.page.getByTestId('payload').getByRole('treeitem').filter({ hasText: '$message_id' }).click()
      await ui.page.getByTestId('curl-upstream-show').click()
      await ui.page.getByTestId('curl-ingest-show').click()
      await ui.page.getByTestId('curl-ingest').waitFor()
    }
  },
  {
    name: 'attempt-exchange',
    title: 'an attempt expanded, its request and response headers',
    async open(ui) {
      await openFailedEvent(ui)
      await ui.page.getByTestId('attempt-exchange-toggle').first().click()
      await ui.page.getByTestId('attempt-exchange-response-headers').scrollIntoViewIfNeeded()
    }
  },
  {
    name: 'activity',
    title: 'activity charts of the last hour',
    async open(ui) {
      await ui.signIn()
      await ui.page.getByTestId('view-activity').click()
      await ui.page.getByTestId('activity-whisperr').waitFor()
    }
  },
  {
    name: 'import',
    title: "the import's summary: a refused line, and a destination to map",
    async open(ui) {
      await ui.signIn()
      await ui.page.getByTestId('import-open').click()
      // A destination this collector lacks stores nothing: the other views see the same events.
      const event = JSON.stringify(whisperrEvent())
      const line = `{"id":2,"destination":"kiosk-whisperr","kind":"track","messageId":"${JSON.parse(event).context.$message_id}","status":"queued","vendor":"whisperr","upstreamParams":null,"receivedPayload":${event},"payload":${event},"revision":0}`
      await ui.page.getByTestId('import-file').setInputFiles({
        name: 'kiosk.ndjson',
        mimeType: 'application/x-ndjson',
        buffer: Buffer.from(`${line}\n{"id":1,"destination":"whisperr","kind":\n`)
      })
      await ui.page.getByTestId('import-start').click()
      await ui.page.getByTestId('import-mapping').waitFor()
    }
  },
  {
    name: 'bulk-confirm',
    title: 'the confirmation of a discard of every event the filters match',
    async open(ui) {
      await ui.signIn()
      await ui.page.getByTestId('filter-destination').selectOption('keyless')
      // Never confirmed: the other views see the same events.
      await ui.page.getByTestId('bulk-discard').click()
      await ui.page.getByTestId('bulk-confirm').waitFor()
    }
  },
  {
    name: 'rejected',
    title: 'rejected requests with one open',
    async open(ui) {
      await ui.signIn()
      await ui.page.getByTestId('view-rejected').click()
      await ui.page.getByTestId('rejection-row').first().click()
      await ui.page.getByTestId('rejection-detail').waitFor()
    }
  },
  {
    name: 'rejected-batch',
    title: 'a refused 500-event batch: its refused event, and the start of its body',
    async open(ui) {
      await ui.signIn()
      await ui.page.getByTestId('view-rejected').click()
      // Refused before the two-event batch, so listed after it.
      await ui.page.getByTestId('rejection-row').nth(1).click()
      await ui.page.getByTestId('refused-event').waitFor()
    }
  },
  {
    name: 'shortcuts',
    title: 'the keyboard shortcuts (the ? key)',
    async open(ui) {
      await ui.signIn()
      await ui.page.getByTestId('event-row').first().waitFor()
      await ui.page.keyboard.press('?')
      await ui.page.getByTestId('shortcuts-dialog').waitFor()
    }
  }
]

export type Viewport = (typeof VIEWPORTS)[number]
export type Theme = (typeof THEMES)[number]

export interface ConsoleWithEveryState {
  /**
   * Opens `view` as a person would, in a new browser context of the window size and theme, on the
   * collector it belongs to (the busy one, or the one that has stored nothing for the first-run
   * guide). close() closes the context.
   */
  openView(browser: Browser, viewport: Viewport, theme: Theme, view: ConsoleView): Promise<OpenedView>
  close(): Promise<void>
}

export interface OpenedView {
  page: Page
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
export const startFirstRunCollector = (): Promise<ConsoleCollector> =>
  startConsoleCollector({ label: 'outpost-first-run', destinations: firstRunDestinations() })

/**
 * A collector whose console has something in every view: delivered events, one the vendor
 * refused (failed), six-digit counts held behind a destination without a key, and two refused
 * ingest requests (a batch of 500 whose body is kept cut, then a batch of two).
 */
export async function startConsoleWithEveryState(): Promise<ConsoleWithEveryState> {
  const busy = await startConsoleCollector({
    label: 'outpost-console-views',
    ...whisperrAndKeyless
  })
  const { collector, upstreams } = busy
  const send = async (path: string, body: unknown, expected: number) => {
    const { status } = await busy.post(path, body)
    if (status !== expected) throw new Error(`${path} answered ${status}, not ${expected}`)
  }
  const events = Array.from({ length: 30 }, (_, i) =>
    whisperrEvent({
      event_type: i % 3 ? 'checkout_completed' : 'trial_started',
      external_user_id: `user_${i}`
    })
  )
  await send('/whisperr/v1/events/batch', { events }, 202)
  await upstreams.whisperr.waitForEvents(30)
  upstreams.whisperr.failNext(1, {
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
  await eventually(
    async () => {
      const { failed } = (await collector.api.getStats({})).counts
      if (failed !== 1) throw new Error(`${failed} failed events, not 1`)
    },
    10_000,
    'the refused event failed'
  )
  const firstRun = await startFirstRunCollector()
  return {
    async openView(browser, viewport, theme, view) {
      const context = await browser.newContext({
        viewport: { width: viewport.width, height: viewport.height },
        colorScheme: theme
      })
      const page = await context.newPage()
      try {
        await view.open(new ConsolePage(page, view.firstRun ? firstRun.collector : collector))
      } catch (error) {
        await context.close()
        throw error
      }
      return { page, close: () => context.close() }
    },
    async close() {
      await firstRun.close()
      await busy.close()
    }
  }
}
