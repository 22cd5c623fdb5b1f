import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { _electron as electron } from 'playwright-core'
import { describe, expect, it } from 'vitest'
// @ts-expect-error: a plain .mjs helper shared with the install and test scripts
import { electronBinary } from '../runtime.mjs'
import type { OutpostApi } from '../../src/shared/api'
import { tempDir } from '../support/temp'
import { whisperrEvent } from '../support/whisperr-events'

const binary = (electronBinary as () => string | null)()
const noDisplay = process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY
if (!binary) {
  console.warn(
    '[outpost] skipped: Electron smoke test. The Electron binary is not installed (ELECTRON_SKIP_BINARY_DOWNLOAD).'
  )
} else if (noDisplay) {
  console.warn('[outpost] skipped: Electron smoke test. No display: run the tests under xvfb-run.')
}

describe.skipIf(!binary || noDisplay)('Electron app (smoke)', () => {
  it('opens a sandboxed window that shows the collector, and keeps collecting when it is closed', async () => {
    const dir = tempDir('outpost-electron')
    // Tests bind to port 0 only: the app reads its config from the data folder.
    writeFileSync(
      join(dir.path, 'outpost.json'),
      JSON.stringify({
        ingest: { host: '127.0.0.1', port: 0 },
        destinations: [{ id: 'whisperr', vendor: 'whisperr' }]
      })
    )
    // The tests may themselves run as Electron-as-Node; the app must not.
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([key]) => key !== 'ELECTRON_RUN_AS_NODE')
    )
    const app = await electron.launch({
      executablePath: binary as string,
      args: [
        join(__dirname, '../../out/main/index.js'),
        ...(process.getuid?.() === 0 ? ['--no-sandbox'] : [])
      ],
      env: { ...env, OUTPOST_DATA_DIR: dir.path } as Record<string, string>
    })
    try {
      const page = await app.firstWindow()
      await page.locator('[data-app-state="ready"]').waitFor({ timeout: 20_000 })
      expect(await page.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe(
        'undefined'
      )
      expect(
        await page.evaluate(
          () => typeof (globalThis as { outpost?: { getStats?: unknown } }).outpost?.getStats
        )
      ).toBe('function')
      expect(await page.getByTestId('destination-whisperr').count()).toBe(1)

      // A kiosk's window gets closed: the collector must keep taking events, in the tray.
      const ingestUrl = await page.evaluate(async () => {
        const api = (globalThis as { outpost?: OutpostApi }).outpost as OutpostApi
        return (await api.getStats({})).destinations[0]!.ingestUrl
      })
      await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0]?.close())
      await expect
        .poll(() => app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().length))
        .toBe(0)
      const response = await fetch(`${ingestUrl}/v1/events/track`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(whisperrEvent())
      })
      expect(response.status).toBe(202)
    } finally {
      await app.close()
      dir.remove()
    }
  })
})
