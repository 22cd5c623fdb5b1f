import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cutOffElements, seriousViolations } from '../support/accessibility'
import { chromiumAvailable, launchChromium, reportMissingChromium } from '../support/browser'
import {
  CONSOLE_VIEWS,
  HELD_EVENTS,
  startConsoleWithEveryState,
  THEMES,
  VIEWPORTS,
  type ConsoleWithEveryState
} from '../support/console-views'

reportMissingChromium('layout and accessibility e2e tests')

describe.skipIf(!chromiumAvailable)('every view at every window size, light and dark', () => {
  let console_: ConsoleWithEveryState
  let browser: Browser

  beforeAll(async () => {
    console_ = await startConsoleWithEveryState()
    browser = await launchChromium()
  })

  afterAll(async () => {
    await browser?.close()
    await console_?.close()
  })

  const eventList = CONSOLE_VIEWS.find((view) => view.name === 'events')!

  for (const theme of THEMES) {
    for (const viewport of VIEWPORTS) {
      describe(`${theme}, ${viewport.name} ${viewport.width}×${viewport.height}`, () => {
        for (const view of CONSOLE_VIEWS) {
          it(`${view.title}: nothing cut off, no serious or critical axe violation`, async () => {
            const { page, close } = await console_.openView(browser, viewport, theme, view)
            try {
              expect(await page.evaluate('matchMedia("(prefers-color-scheme: dark)").matches')).toBe(
                theme === 'dark'
              )
              const found = { cutOff: await cutOffElements(page), violations: await seriousViolations(page) }
              expect(found).toEqual({ cutOff: [], violations: [] })
            } finally {
              await close()
            }
          })
        }

        it('shows six-digit counts whole, with separators', async () => {
          const { page, close } = await console_.openView(browser, viewport, theme, eventList)
          try {
            const count = page.getByTestId('destination-count-keyless-queued')
            expect(await count.textContent()).toBe(HELD_EVENTS.toLocaleString('en'))
            // Whole: the number ends inside its card, and its row of the card does not overflow.
            const clipped = await page.evaluate<boolean>(`(() => {
              const count = document.querySelector('[data-testid="destination-count-keyless-queued"]')
              const card = count.closest('.destination').getBoundingClientRect()
              const row = count.parentElement
              return count.getBoundingClientRect().right > card.right - 1 || row.scrollWidth > row.clientWidth
            })()`)
            expect(clipped).toBe(false)
            expect(await cutOffElements(page)).toEqual([])
          } finally {
            await close()
          }
        })
      })
    }
  }
})
