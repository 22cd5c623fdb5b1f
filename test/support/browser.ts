import { existsSync } from 'node:fs'
import { chromium, type Browser } from 'playwright-core'

/** Debian's Chromium, installed by .ci/run (`apt-get install -y chromium`). */
export const CHROMIUM = process.env.OUTPOST_CHROMIUM ?? '/usr/bin/chromium'

export const chromiumAvailable = existsSync(CHROMIUM)

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run'
    ]
  })
}

/**
 * Says that `suite` is skipped for want of Chromium: a warning on a developer's machine, an
 * error in CI, where a skipped browser suite would pass without testing anything.
 */
export function reportMissingChromium(suite: string): void {
  if (chromiumAvailable) return
  const message = `Chromium not found at ${CHROMIUM}: install it with apt-get install -y chromium`
  if (process.env.CI) throw new Error(message)
  console.warn(`[outpost] skipped: ${suite}. ${message}`)
}
