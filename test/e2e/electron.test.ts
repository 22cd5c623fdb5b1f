import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { _electron as electron } from 'playwright-core'
import { describe, expect, it } from 'vitest'
// @ts-expect-error: a plain .mjs helper shared with the install and test scripts
import { electronBinary } from '../runtime.mjs'
import { tempDir } from '../support/temp'

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
  it('opens a sandboxed window that shows the collector', async () => {
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
    } finally {
      await app.close()
      dir.remove()
    }
  })
})
