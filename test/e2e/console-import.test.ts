import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chromiumAvailable, reportMissingChromium } from '../support/browser'
import { startTestCollector, type TestCollector } from '../support/collector'
import { ConsolePage, consoleSuite } from '../support/console'
import { tempDir } from '../support/temp'
import { whisperrEvent } from '../support/whisperr-events'

reportMissingChromium('console import e2e tests')

/** Page helpers for the import dialog: locators and actions, apart from the specs. */
class ImportDialog extends ConsolePage {
  dialog() {
    return this.page.getByRole('dialog', { name: 'Import events' })
  }
  async openDialog() {
    await this.page.getByTestId('import-open').click()
    await this.dialog().waitFor()
  }
  /** Picks the file as a person does in the file chooser, and starts the import. */
  async importFile(path: string) {
    await this.page.getByTestId('import-file').setInputFiles(path)
    await this.page.getByTestId('import-start').click()
  }
  summary() {
    return this.page.getByTestId('import-summary')
  }
  count(key: string) {
    return this.page.getByTestId(`import-count-${key}`).locator('dd')
  }
}

describe.skipIf(!chromiumAvailable)(
  'import in the console: a kiosk export, delivered by this collector',
  () => {
    const dir = tempDir('outpost-e2e-import')
    const online = consoleSuite({
      label: 'outpost-e2e-import',
      upstreams: { whisperr: 'k', flywheel: 'f' },
      destinations: ({ whisperr, flywheel }) => [
        { id: 'whisperr', vendor: 'whisperr', baseUrl: whisperr.url, apiKey: 'k' },
        { id: 'flywheel', vendor: 'flywheel', baseUrl: flywheel.url, apiKey: 'f' }
      ],
      sync: { backoffBaseMs: 50, backoffMaxMs: 500 }
    })
    let kiosk: TestCollector
    const sentWhisperr: string[] = []
    const sentFlywheel: string[] = []
    let exportFile = ''

    beforeAll(async () => {
      // The kiosk: no keys, paused: everything it took waits there.
      kiosk = await startTestCollector({
        destinations: [
          { id: 'whisperr', vendor: 'whisperr' },
          { id: 'kiosk-flywheel', vendor: 'flywheel' }
        ]
      })
      await kiosk.api.pauseDestination({ id: 'whisperr' })
      for (let i = 0; i < 6; i++) {
        const text = JSON.stringify(whisperrEvent({ external_user_id: `user_${i % 2}` }))
        sentWhisperr.push(text)
        expect((await kiosk.post('/whisperr/v1/events/track', text)).status).toBe(202)
      }
      for (let i = 0; i < 2; i++) {
        const text = `{"event":{"event":"lesson_completed","user_id":"u_${i}","properties":{"score":1.0}}}`
        sentFlywheel.push(text)
        expect((await kiosk.post('/kiosk-flywheel/v1/events', text)).status).toBe(200)
      }
      const response = await fetch(`${kiosk.url}/api/events/export?format=ndjson`, {
        headers: { authorization: 'Bearer test-token' }
      })
      exportFile = join(dir.path, 'kiosk.ndjson')
      writeFileSync(exportFile, await response.text())
    })
    afterAll(async () => {
      await kiosk?.close()
      dir.remove()
    })

    it('imports the file a person picks, shows the summary, maps the destination it lacks, and delivers each event once', async () => {
      const importing = await ImportDialog.open(online.browser, online.collector)
      const { page } = importing
      await importing.openDialog()
      await importing.importFile(exportFile)

      await expect.poll(() => importing.summary().textContent()).toBe('Imported 6 of 8 lines.')
      expect(await importing.count('refused').textContent()).toBe('2')
      // The kiosk's Flywheel destination has another id here: its events wait for a mapping.
      await page.getByTestId('import-map-kiosk-flywheel').selectOption('flywheel')
      await page.getByTestId('import-again').click()
      await expect.poll(() => importing.summary().textContent()).toBe('Imported 2 of 8 lines.')
      expect(await importing.count('duplicates').textContent()).toBe('6')
      expect(await page.getByTestId('import-mapping').count()).toBe(0)

      const { whisperr, flywheel } = online
      await whisperr.waitForEvents(6)
      await flywheel.waitForEvents(2)
      expect(whisperr.duplicateMessageIds()).toEqual([])
      const whisperrBodies = whisperr.requests.map((request) => request.body).join('\n')
      for (const text of sentWhisperr) expect(whisperrBodies.split(text)).toHaveLength(2)
      expect(flywheel.requests.map((request) => request.body).sort()).toEqual([...sentFlywheel].sort())
      // The list shows them delivered.
      await expect.poll(() => importing.total('sent').textContent(), { timeout: 15_000 }).toBe('8')
      await page.close()
    })

    it('reports a line it cannot read by its number, and closes on Esc with the keyboard back on Import', async () => {
      const importing = await ImportDialog.open(online.browser, online.collector)
      const { page } = importing
      const damaged = join(dir.path, 'damaged.ndjson')
      writeFileSync(damaged, `{"id":2,"destination":"whisperr","kind":"track"\n{"hello":"world"}\n`)
      await importing.openDialog()
      await importing.importFile(damaged)
      await expect.poll(() => importing.summary().textContent()).toBe('Imported 0 of 2 lines.')
      const problems = page.getByTestId('import-problem')
      expect(await problems.allTextContents()).toEqual([
        expect.stringMatching(/^Line 1 is not JSON: /),
        expect.stringMatching(/^Line 2 is not an Outpost export line: /)
      ])
      await page.keyboard.press('Escape')
      await importing.dialog().waitFor({ state: 'hidden' })
      expect(await importing.focusedTestId()).toBe('import-open')
      await page.close()
    })
  }
)
