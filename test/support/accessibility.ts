import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { Page } from 'playwright-core'

const require = createRequire(import.meta.url)
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8')

export interface AxeViolation {
  id: string
  impact: string | null
  help: string
  targets: string[]
}

/**
 * Runs axe-core (WCAG 2.0/2.1/2.2 A and AA rules, and its best practices) on the page as it is
 * now, and returns the serious and critical violations with the elements they concern.
 */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  // Evaluated, not added as a script tag: the console's CSP (script-src 'self') refuses inline scripts.
  if (!(await page.evaluate('typeof window.axe !== "undefined"'))) await page.evaluate(AXE_SOURCE)
  const violations = await page.evaluate<AxeViolation[]>(`
    window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
      resultTypes: ['violations']
    }).then((result) => result.violations.map((violation) => ({
      id: violation.id,
      impact: violation.impact,
      help: violation.help,
      targets: violation.nodes.map((node) => node.target.join(' '))
    })))`)
  return violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
}

export interface CutOffElement {
  what: string
  left: number
  right: number
  top: number
  bottom: number
}

/**
 * Controls and text a person cannot reach: shown (not display:none or hidden), but outside the
 * window and not inside anything that scrolls to them. A control in a scrolling pane counts as
 * reachable when the pane itself is within the window; the page may scroll down, not sideways.
 */
export function cutOffElements(page: Page): Promise<CutOffElement[]> {
  return page.evaluate<CutOffElement[]>(`(() => {
    const scrolls = (element) => {
      const style = getComputedStyle(element)
      const scrollsX = /(auto|scroll)/.test(style.overflowX) && element.scrollWidth > element.clientWidth
      const scrollsY = /(auto|scroll)/.test(style.overflowY) && element.scrollHeight > element.clientHeight
      return scrollsX || scrollsY
    }
    const reachVia = (element) => {
      for (let parent = element.parentElement; parent && parent !== document.body; parent = parent.parentElement) {
        if (scrolls(parent)) return parent
      }
      return null
    }
    // Where the page scrolls down (a phone's layout), anything below the window can be scrolled to.
    const pageScrollsDown =
      document.documentElement.scrollHeight > innerHeight + 1 && getComputedStyle(document.body).overflowY !== 'hidden'
    const outside = (rect) =>
      rect.left < -1 ||
      rect.right > innerWidth + 1 ||
      (!pageScrollsDown && (rect.top < -1 || rect.bottom > innerHeight + 1))
    const describe = (element) =>
      element.tagName.toLowerCase() +
      (element.dataset.testid ? '[data-testid=' + element.dataset.testid + ']' : '') +
      ' "' + (element.getAttribute('aria-label') || element.textContent || '').trim().slice(0, 40) + '"'
    const found = []
    const candidates = document.querySelectorAll('button, input, select, textarea, a[href], [role=tab], [role=grid], h1, h2, h3')
    for (const element of candidates) {
      const rect = element.getBoundingClientRect()
      if (rect.width === 0 && rect.height === 0) continue
      const pane = reachVia(element)
      const box = pane ? pane.getBoundingClientRect() : rect
      if (outside(box)) {
        found.push({ what: describe(element) + (pane ? ' in ' + describe(pane) : ''), left: box.left, right: box.right, top: box.top, bottom: box.bottom })
      }
    }
    if (document.documentElement.scrollWidth > innerWidth + 1)
      found.push({ what: 'the page scrolls sideways', left: 0, right: document.documentElement.scrollWidth, top: 0, bottom: 0 })
    return found
  })()`)
}
