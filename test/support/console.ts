import { join } from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll } from 'vitest'
import { startCollector, type Collector } from '../../src/main/collector'
import { parseConfig, type DestinationConfig } from '../../src/main/config'
import { startMockFlywheel, type MockFlywheel } from '../mocks/flywheel'
import { startMockWhisperr, type MockWhisperr } from '../mocks/whisperr'
import { launchChromium } from './browser'
import { tempDir } from './temp'

/** The console as `electron-vite build` wrote it: build before these tests. */
const RENDERER_DIR = join(__dirname, '../../out/renderer')

/** The admin token of every console collector: what a person types in the sign-in form. */
export const CONSOLE_ADMIN_TOKEN = 'e2e-token'

/** The mock upstreams a console collector can start, each given the vendor key it takes. */
export interface UpstreamKeys {
  whisperr?: string
  flywheel?: string
}
interface Mocks {
  whisperr: MockWhisperr
  flywheel: MockFlywheel
}
export type MocksOf<Keys extends UpstreamKeys> = { [Vendor in keyof Keys & keyof Mocks]: Mocks[Vendor] }

export interface ConsoleCollectorOptions<Keys extends UpstreamKeys> {
  /** Names the temporary data folder. */
  label: string
  upstreams?: Keys
  /** The destinations, pointed at the mock upstreams (or at nothing). */
  destinations: DestinationConfig[] | ((upstreams: MocksOf<Keys>) => DestinationConfig[])
  sync?: { backoffBaseMs?: number; backoffMaxMs?: number }
}

export interface ConsoleCollector<Keys extends UpstreamKeys = UpstreamKeys> {
  collector: Collector
  upstreams: MocksOf<Keys>
  /** POSTs a body to the collector as an app does: text as it is, anything else as JSON. */
  post(path: string, body: unknown): Promise<Response>
  /** Stops the collector and the mock upstreams, and removes the data folder. */
  close(): Promise<void>
}

/**
 * The pair most specs need: `whisperr`, delivering to a mock Whisperr with its key, and `keyless`,
 * the same upstream without a key, which holds its events (to discard, or until a key is set).
 */
export const whisperrAndKeyless: Pick<
  ConsoleCollectorOptions<{ whisperr: string }>,
  'upstreams' | 'destinations'
> = {
  upstreams: { whisperr: 'k' },
  destinations: ({ whisperr }) => [
    { id: 'whisperr', vendor: 'whisperr', baseUrl: whisperr.url, apiKey: 'k' },
    { id: 'keyless', vendor: 'whisperr', baseUrl: whisperr.url }
  ]
}

async function startMocks<Keys extends UpstreamKeys>(keys: Keys): Promise<MocksOf<Keys>> {
  const mocks: Partial<Mocks> = {}
  if (keys.whisperr !== undefined) mocks.whisperr = await startMockWhisperr({ apiKey: keys.whisperr })
  if (keys.flywheel !== undefined) mocks.flywheel = await startMockFlywheel({ apiKey: keys.flywheel })
  return mocks as MocksOf<Keys>
}

/**
 * A real collector serving the built console on 127.0.0.1:0, with its own data folder and the
 * mock upstreams asked for. It reads no key from the environment: each test names its own.
 */
export async function startConsoleCollector<Keys extends UpstreamKeys = Record<never, never>>(
  options: ConsoleCollectorOptions<Keys>
): Promise<ConsoleCollector<Keys>> {
  const upstreams = await startMocks(options.upstreams ?? ({} as Keys))
  const dir = tempDir(options.label)
  const destinations =
    typeof options.destinations === 'function' ? options.destinations(upstreams) : options.destinations
  const collector = await startCollector({
    config: parseConfig({ destinations, sync: options.sync }),
    dataDir: dir.path,
    host: '127.0.0.1',
    port: 0,
    adminToken: CONSOLE_ADMIN_TOKEN,
    rendererDir: RENDERER_DIR,
    env: {}
  })
  return {
    collector,
    upstreams,
    post: (path, body) =>
      fetch(collector.url + path, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: typeof body === 'string' ? body : JSON.stringify(body)
      }),
    async close() {
      await collector.close()
      for (const upstream of Object.values(upstreams) as { close(): Promise<void> }[]) await upstream.close()
      dir.remove()
    }
  }
}

/** What a describe block's tests use: its console collector, mock upstreams and Chromium. */
export type ConsoleSuite<Keys extends UpstreamKeys> = MocksOf<Keys> & {
  readonly collector: Collector
  readonly browser: Browser
  post: ConsoleCollector<Keys>['post']
}

/**
 * For a describe block: a console collector (startConsoleCollector) and Chromium started before
 * its tests and stopped after them. Its fields are there from the block's hooks and tests on.
 */
export function consoleSuite<Keys extends UpstreamKeys = Record<never, never>>(
  options: ConsoleCollectorOptions<Keys>
): ConsoleSuite<Keys> {
  let running: ConsoleCollector<Keys> | undefined
  let browser: Browser | undefined
  beforeAll(async () => {
    running = await startConsoleCollector(options)
    browser = await launchChromium()
  })
  afterAll(async () => {
    await browser?.close()
    await running?.close()
  })
  const started = () => {
    if (!running || !browser) throw new Error('the console starts in beforeAll: use it in a hook or a test')
    return { running, browser }
  }
  const suite = {
    get collector() {
      return started().running.collector
    },
    get browser() {
      return started().browser
    },
    post: (path: string, body: unknown) => started().running.post(path, body)
  }
  for (const vendor of Object.keys(options.upstreams ?? {}) as (keyof MocksOf<Keys>)[]) {
    Object.defineProperty(suite, vendor, { get: () => started().running.upstreams[vendor] })
  }
  return suite as ConsoleSuite<Keys>
}

/** Page helpers for the console: locators, actions and waits, apart from the specs. */
export class ConsolePage {
  constructor(
    readonly page: Page,
    readonly collector: Collector
  ) {}

  /** A new page of the browser (or context), signed in; a spec's own helpers extend this class. */
  static async open<T extends ConsolePage>(
    this: new (page: Page, collector: Collector) => T,
    from: Browser | BrowserContext,
    collector: Collector
  ): Promise<T> {
    const ui = new this(await from.newPage(), collector)
    await ui.signIn()
    return ui
  }

  /** Opens a fresh one-time login link, as a person does from what outpost serve printed. */
  async signIn() {
    await this.page.goto(this.collector.loginLink())
    await this.ready()
  }
  /** Opens the console without a session: its sign-in form. */
  async openSignInForm() {
    await this.page.goto(this.collector.url)
    await this.page.locator('[data-app-state="auth"]').waitFor()
  }
  /** Waits until the app is signed in and has loaded. */
  ready() {
    return this.page.locator('[data-app-state="ready"]').waitFor({ timeout: 15_000 })
  }

  rows() {
    return this.page.getByTestId('event-row')
  }
  total(status: string) {
    return this.page.getByTestId(`total-${status}`)
  }
  destinationState(id: string) {
    return this.page.getByTestId(`destination-state-${id}`)
  }
  /** The history entries of the event shown, newest first. */
  history() {
    return this.page.getByTestId('history-entry')
  }
  notice() {
    return this.page.getByTestId('notice')
  }
  /** The data-testid of what has the keyboard. */
  focusedTestId() {
    return this.page.evaluate<string | null>('document.activeElement?.getAttribute("data-testid") ?? null')
  }
  /** The clipboard's text (the page's context needs the clipboard permissions). */
  clipboard() {
    return this.page.evaluate<string>('navigator.clipboard.readText()')
  }
}
