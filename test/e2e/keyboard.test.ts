import { describe, expect, it } from 'vitest'
import { chromiumAvailable, reportMissingChromium } from '../support/browser'
import { ConsolePage, consoleSuite, whisperrAndKeyless } from '../support/console'
import { whisperrEvent } from '../support/whisperr-events'

reportMissingChromium('keyboard e2e tests')

/** The console driven by keys alone: no click, no fill; what has the keyboard is asked of the page. */
class KeyboardConsole extends ConsolePage {
  press(key: string) {
    return this.page.keyboard.press(key)
  }
  /** What has the keyboard: `row <id>` for a list row, else its test id, else its element id. */
  focused() {
    return this.page.evaluate<string>(`(() => {
      const element = document.activeElement
      if (!element || element === document.body) return 'nothing'
      if (element.dataset.rowId !== undefined) return 'row ' + element.dataset.rowId
      if (element.closest('[data-testid="payload-editor"] .cm-content')) return 'payload editor'
      return element.dataset.testid ?? element.id ?? element.tagName
    })()`)
  }
  /** Presses Tab (or Shift+Tab) until `target` has the keyboard; how many presses it took. */
  async tabTo(target: (focused: string) => boolean, key = 'Tab', most = 40) {
    for (let presses = 1; presses <= most; presses++) {
      await this.press(key)
      if (target(await this.focused())) return presses
    }
    throw new Error(`${key} never reached it; the keyboard is on ${await this.focused()}`)
  }
  statuses() {
    return this.rows().evaluateAll((rows) => rows.map((row) => row.getAttribute('data-status')))
  }
}

const isRow = (focused: string) => focused.startsWith('row ')

describe.skipIf(!chromiumAvailable)('the console by keyboard alone, in Chromium', () => {
  const suite = consoleSuite({
    label: 'outpost-keyboard',
    ...whisperrAndKeyless,
    sync: { backoffBaseMs: 50, backoffMaxMs: 500 }
  })

  const openConsole = () => KeyboardConsole.open(suite.browser, suite.collector)

  it('finds a failed event, fixes and resends it, discards a ticked selection, switches views and lists the keys', async () => {
    suite.whisperr.failNext(1, { type: 'status', status: 422, body: { error: 'unknown plan' } })
    const refused = whisperrEvent({
      event_type: 'plan_changed',
      external_user_id: 'kim-keyboard',
      properties: { plan: 'platnum' }
    })
    expect((await suite.post('/whisperr/v1/events/track', refused)).status).toBe(202)
    for (const n of [1, 2, 3]) {
      const held = whisperrEvent({ event_type: 'held_event', external_user_id: `held-${n}` })
      expect((await suite.post('/keyless/v1/events/track', held)).status).toBe(202)
    }
    const ui = await openConsole()

    // `/` puts the keyboard in the search, whose text is typed.
    await ui.press('/')
    expect(await ui.focused()).toBe('filter-search')
    await ui.page.keyboard.type('kim-keyboard')
    await expect.poll(() => ui.statuses(), { timeout: 10_000 }).toEqual(['failed'])

    // Into the list, Enter opens the row: the keyboard is in the detail.
    await ui.tabTo(isRow)
    await ui.press('Enter')
    await expect.poll(() => ui.focused()).toBe('event-detail')
    const detail = ui.page.getByTestId('event-detail')
    await detail.getByTestId('event-edit').waitFor()

    // `e` opens the editor with the keyboard in it; Esc cancels, back on Edit.
    await ui.press('e')
    await expect.poll(() => ui.focused()).toBe('payload editor')
    await ui.press('Escape')
    expect(await detail.getByTestId('payload-editor').count()).toBe(0)
    await expect.poll(() => ui.focused()).toBe('event-edit')

    // Edit again, replace the payload, and Save and resend from the keyboard.
    await ui.press('e')
    await expect.poll(() => ui.focused()).toBe('payload editor')
    await ui.press('Control+A')
    await ui.page.keyboard.insertText(
      JSON.stringify({ ...refused, properties: { plan: 'platinum' } }, null, 2)
    )
    await ui.tabTo((focused) => focused === 'draft-save-resend', 'Tab', 4)
    await ui.press('Enter')
    await expect.poll(() => ui.statuses(), { timeout: 10_000 }).toEqual(['sent'])
    expect(suite.whisperr.received.get(refused.context.$message_id)?.properties).toEqual({ plan: 'platinum' })
    // The editor closed: the keyboard is on Edit while it is offered, then on the event's row.
    await expect.poll(() => ui.focused()).toMatch(/^row \d+$/)

    // A new search from wherever the keyboard is: three waiting events.
    await ui.press('/')
    await ui.page.keyboard.type('held-')
    await expect.poll(() => ui.statuses()).toEqual(['queued', 'queued', 'queued'])
    await ui.tabTo(isRow)
    // Space ticks the focused row, ↓ moves on, Space ticks the next.
    await ui.press('Space')
    await ui.press('ArrowDown')
    await ui.press('Space')
    await expect.poll(() => ui.page.getByTestId('selection-bar').textContent()).toContain('2 selected')
    await ui.tabTo((focused) => focused === 'discard-checked', 'Shift+Tab', 5)
    await ui.press('Enter')
    await expect
      .poll(() => ui.statuses())
      .toEqual(expect.arrayContaining(['discarded', 'discarded', 'queued']))
    // After the discard the keyboard is back on the list, not dropped on the page.
    await expect.poll(() => ui.focused()).toMatch(/^row \d+$/)

    // `?` lists the keys in a dialog; Esc closes it and the keyboard is back where it was.
    const before = await ui.focused()
    await ui.press('?')
    const shortcuts = ui.page.getByTestId('shortcuts-dialog')
    await expect.poll(() => shortcuts.isVisible()).toBe(true)
    expect(await shortcuts.textContent()).toContain('Resend the event shown')
    expect(await shortcuts.textContent()).toContain('tick every row shown')
    expect(await ui.focused()).toBe('shortcuts-close')
    await ui.press('Escape')
    await expect.poll(() => shortcuts.isVisible()).toBe(false)
    expect(await ui.focused()).toBe(before)

    // The views are reached by Tab and opened by Enter.
    await ui.tabTo((focused) => focused === 'view-rejected', 'Shift+Tab')
    await ui.press('Enter')
    await ui.page.getByTestId('rejections-empty').waitFor()
    await ui.press('Shift+Tab')
    expect(await ui.focused()).toBe('view-events')
    await ui.press('Enter')
    await ui.rows().first().waitFor()
    await ui.page.close()
  })

  it('makes the list one tab stop whose keys move, page and jump through a long virtualized list', async () => {
    const events = Array.from({ length: 200 }, (_, n) =>
      whisperrEvent({ event_type: 'many_rows', external_user_id: `many-${String(n).padStart(3, '0')}` })
    )
    expect((await suite.post('/whisperr/v1/events/batch', { events })).status).toBe(202)
    const ui = await openConsole()
    await ui.press('/')
    await ui.page.keyboard.type('many_rows')
    await expect.poll(() => ui.page.getByTestId('filters-summary').textContent()).toMatch(/^200 events match/)

    // From the search, a few presses reach the list and one more leaves it: not one per checkbox.
    expect(await ui.tabTo(isRow, 'Tab', 6)).toBeLessThanOrEqual(6)
    const checkboxStops = await ui.page
      .getByTestId('event-check')
      .evaluateAll((boxes) => boxes.filter((box) => box.getAttribute('tabindex') !== '-1').length)
    expect(checkboxStops).toBe(0)
    // Nor is the header's select-all a stop: Shift+Tab from the rows leaves the list.
    await ui.press('Shift+Tab')
    expect(['check-all', 'nothing']).not.toContain(await ui.focused())
    expect(isRow(await ui.focused())).toBe(false)
    await ui.press('Tab')
    expect(isRow(await ui.focused())).toBe(true)
    await ui.press('Tab')
    expect(isRow(await ui.focused())).toBe(false)
    await ui.press('Shift+Tab')
    const first = await ui.focused()
    expect(isRow(first)).toBe(true)

    // The focused row is the selected one, rendered and in view wherever the keys take it.
    const selected = ui.page.locator('[data-event-id][aria-selected="true"]')
    const expectFocusedSelectedAndShown = async (user: string) => {
      await expect.poll(() => selected.textContent()).toContain(user)
      await expect.poll(async () => ui.focused()).toBe(`row ${await selected.getAttribute('data-row-id')}`)
      expect(await selected.isVisible()).toBe(true)
      const [row, header, list] = await Promise.all(
        [selected, ui.page.locator('.events thead'), ui.page.locator('.event-list')].map((it) =>
          it.boundingBox()
        )
      )
      // Whole, and below the header row, which stays over the rows.
      const inView =
        row != null &&
        header != null &&
        list != null &&
        row.y >= header.y + header.height - 1 &&
        row.y + row.height <= list.y + list.height + 1
      expect(inView, `${user} in view`).toBe(true)
    }
    // Tab reached the first row; ↓ selects the next (the list is newest first).
    expect(first).toBe(`row ${await ui.rows().first().getAttribute('data-row-id')}`)
    await ui.press('ArrowDown')
    await expectFocusedSelectedAndShown('many-198')
    await ui.press('End')
    await expectFocusedSelectedAndShown('many-000')
    await ui.press('PageUp')
    await expectFocusedSelectedAndShown('many-010')
    await ui.press('Home')
    await expectFocusedSelectedAndShown('many-199')
    await ui.press('PageDown')
    await expectFocusedSelectedAndShown('many-189')
    await ui.press('ArrowUp')
    await expectFocusedSelectedAndShown('many-190')
    // Space ticks the focused row; Enter puts the keyboard in its detail, and Esc back on the row.
    await ui.press('Space')
    expect(await selected.getByTestId('event-check').isChecked()).toBe(true)
    await ui.press('Enter')
    await expect.poll(() => ui.focused()).toBe('event-detail')
    await ui.press('Escape')
    await expectFocusedSelectedAndShown('many-190')
    // Ctrl+A ticks every row shown (one was), the header's checkbox with them; again, none.
    const selectionBar = ui.page.getByTestId('selection-bar')
    await ui.press('Control+A')
    await expect.poll(() => selectionBar.textContent()).toContain('200 selected')
    expect(await ui.page.getByTestId('check-all').isChecked()).toBe(true)
    await expectFocusedSelectedAndShown('many-190')
    await ui.press('Control+A')
    await expect.poll(() => selectionBar.count()).toBe(0)
    expect(await ui.page.getByTestId('check-all').isChecked()).toBe(false)
    await expectFocusedSelectedAndShown('many-190')
    // Typing in the search is not a shortcut: `e` and `r` are letters there (`/` selected the text).
    await ui.press('/')
    await ui.press('End')
    await ui.page.keyboard.type('er')
    expect(await ui.page.getByTestId('filter-search').inputValue()).toBe('many_rowser')
    expect(await ui.page.getByTestId('payload-editor').count()).toBe(0)
    await ui.page.close()
  })

  it('takes a narrow window from the detail back to the list with Esc, on the row it left', async () => {
    const ui = await openConsole()
    await ui.page.setViewportSize({ width: 390, height: 844 })
    await ui.press('/')
    await ui.page.keyboard.type('many_rows')
    await expect.poll(() => ui.page.getByTestId('filters-summary').textContent()).toMatch(/^200 events match/)
    await ui.tabTo(isRow)
    // Narrow: selecting a row shows its detail in the list's place, with the keyboard in it.
    await ui.press('ArrowDown')
    await expect.poll(() => ui.focused()).toBe('event-detail')
    expect(await ui.page.getByTestId('event-table').isVisible()).toBe(false)
    // The hidden list renders no rows: the detail's header names the event.
    const opened = (await ui.page.locator('.detail-header .mono').textContent())?.replace('#', '')
    await ui.press('Escape')
    await expect.poll(() => ui.page.getByTestId('event-table').isVisible()).toBe(true)
    await expect.poll(() => ui.focused()).toBe(`row ${opened}`)
    await ui.page.close()
  })

  it('walks the rejected requests the same way: one tab stop, arrows, Enter into the detail, Esc back', async () => {
    for (const name of ['Bad Name', 'Worse Name']) {
      const refused = await suite.post('/whisperr/v1/events/track', whisperrEvent({ event_type: name }))
      expect(refused.status).toBe(400)
    }
    const ui = await openConsole()
    await ui.tabTo((focused) => focused === 'view-rejected')
    await ui.press('Enter')
    await ui.page.getByTestId('rejection-row').nth(1).waitFor()
    await ui.tabTo(isRow, 'Tab', 6)
    await ui.press('ArrowDown')
    const second = ui.page.getByTestId('rejection-row').nth(1)
    await expect.poll(() => second.getAttribute('aria-selected')).toBe('true')
    await expect.poll(() => ui.focused()).toBe(`row ${await second.getAttribute('data-row-id')}`)
    // One tab stop: the next Tab leaves the list.
    await ui.press('Tab')
    expect(isRow(await ui.focused())).toBe(false)
    await ui.press('Shift+Tab')
    await ui.press('Enter')
    await expect.poll(() => ui.focused()).toBe('rejection-detail')
    await ui.press('Escape')
    await expect.poll(() => ui.focused()).toBe(`row ${await second.getAttribute('data-row-id')}`)
    await ui.page.close()
  })

  it('resends the event shown with r, and gives the keyboard back to its row', async () => {
    suite.whisperr.failNext(1, { type: 'status', status: 422 })
    const refused = whisperrEvent({ external_user_id: 'rita-keyboard' })
    expect((await suite.post('/whisperr/v1/events/track', refused)).status).toBe(202)
    const ui = await openConsole()
    await ui.press('/')
    await ui.page.keyboard.type('rita-keyboard')
    await expect.poll(() => ui.statuses(), { timeout: 10_000 }).toEqual(['failed'])
    await ui.tabTo(isRow)
    const row = await ui.focused()
    await ui.press('Enter')
    await expect.poll(() => ui.focused()).toBe('event-detail')
    await ui.page.getByTestId('event-resend').waitFor()
    // The Resend button goes with the failed status: the keyboard goes to the row, not the page.
    await ui.press('r')
    await expect.poll(() => ui.statuses(), { timeout: 10_000 }).toEqual(['sent'])
    expect(suite.whisperr.received.has(refused.context.$message_id)).toBe(true)
    await expect.poll(() => ui.focused()).toBe(row)
    await ui.page.close()
  })
})
