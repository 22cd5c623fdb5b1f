import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { chromiumAvailable, CHROMIUM, launchChromium } from '../support/browser'
import {
  CONSOLE_VIEWS,
  startConsoleWithEveryState,
  THEMES,
  VIEWPORTS,
  type ConsoleWithEveryState
} from '../support/console-views'

const OUT_DIR = join(__dirname, '../../docs/screenshots')
/** The README shows the desktop and the phone; the small window is checked by the layout tests. */
const PHOTOGRAPHED = VIEWPORTS.filter((viewport) => viewport.name !== 'small-window')

if (!chromiumAvailable) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium`)

describe('screenshots of every view', () => {
  let console_: ConsoleWithEveryState
  let browser: Browser

  beforeAll(async () => {
    mkdirSync(OUT_DIR, { recursive: true })
    console_ = await startConsoleWithEveryState()
    browser = await launchChromium()
  })
  afterAll(async () => {
    await browser?.close()
    await console_?.close()
  })

  for (const theme of THEMES) {
    for (const viewport of PHOTOGRAPHED) {
      for (const view of CONSOLE_VIEWS) {
        it(`${view.name}, ${viewport.name}, ${theme}`, async () => {
          const { page, close } = await console_.openView(browser, viewport, theme, view)
          try {
            // A blinking caret would make every run a new picture.
            await page.evaluate('document.activeElement && document.activeElement.blur()')
            await page.screenshot({ path: join(OUT_DIR, `${view.name}-${viewport.name}-${theme}.png`) })
          } finally {
            await close()
          }
        })
      }
    }
  }
})
