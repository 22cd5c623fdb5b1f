import { useEffect, useRef, type KeyboardEvent, type RefObject } from 'react'
import { movedIndex } from './grid-moves'

/** The rendered row of a grid by its id (rows carry `data-row-id`). */
export function gridRow(grid: HTMLElement | null, id: number): HTMLElement | null {
  return grid?.querySelector<HTMLElement>(`[data-row-id="${id}"]`) ?? null
}

/** Ctrl+A, or ⌘A on a Mac: what selects everything in a text. */
function isSelectAll(key: KeyboardEvent<HTMLElement>): boolean {
  return key.key.toLowerCase() === 'a' && (key.ctrlKey || key.metaKey) && !key.altKey && !key.shiftKey
}

/** Scrolls its list so the row shows whole, below the header row that stays over the rows. */
function revealRow(row: HTMLElement): void {
  const header = row.closest('table')?.querySelector('thead')
  row.style.scrollMarginTop = `${header?.offsetHeight ?? 0}px`
  row.scrollIntoView({ block: 'nearest' })
}

interface RovingGridOptions {
  ids: readonly number[]
  selectedId: number | null
  select(id: number): void
  /** Space: tick the row (lists without checkboxes leave it out). */
  toggle?(id: number): void
  /**
   * Ctrl+A (⌘A): tick every row shown, or untick them all when all are; the header's checkbox
   * does the same with the pointer and is no tab stop of its own.
   */
  toggleAll?(): void
  /** Enter: show the row's detail and put the keyboard in it. */
  open(): void
}

/**
 * A list as an ARIA grid with a roving tab stop: one Tab reaches it, the keys move the focused
 * row (which is the selected one). A row moved to may not be rendered yet in a virtualized list:
 * it is focused on the first render that has it.
 */
export function useRovingGrid(grid: RefObject<HTMLElement | null>, options: RovingGridOptions) {
  const { ids, selectedId, select, toggle, toggleAll, open } = options
  const focusWanted = useRef<number | null>(null)

  useEffect(() => {
    if (focusWanted.current === null) return
    const row = gridRow(grid.current, focusWanted.current)
    if (row === null) return
    focusWanted.current = null
    // A narrow window shows the selected row's detail instead of the list: the keyboard goes there.
    if (row.getClientRects().length === 0) open()
    else {
      row.focus({ preventScroll: true })
      revealRow(row)
    }
  })

  const onKeyDown = (key: KeyboardEvent<HTMLElement>) => {
    if (toggleAll && isSelectAll(key)) {
      key.preventDefault()
      toggleAll()
      return
    }
    if (key.altKey || key.ctrlKey || key.metaKey) return
    // The row with the keyboard: a click or Tab can put it on a row other than the selected one.
    const rowId = (key.target as HTMLElement).dataset.rowId
    // Keys pressed faster than the list renders its rows land on the row the last key left: they
    // move on from the row that is still to be focused, or each press after the first is lost.
    const focusedId = focusWanted.current ?? (rowId === undefined ? selectedId : Number(rowId))
    // Space and Enter elsewhere (a checkbox, a header control) keep their own meaning.
    if (rowId !== undefined && (key.key === ' ' || key.key === 'Enter')) {
      key.preventDefault()
      const id = focusedId ?? Number(rowId)
      if (key.key === ' ') toggle?.(id)
      else {
        if (id !== selectedId) select(id)
        open()
      }
      return
    }
    const next = movedIndex(key.key, ids.indexOf(focusedId ?? -1), ids.length)
    if (next === null) return
    key.preventDefault()
    // The window's own ↑/↓ (list-selection.ts) would move the selection a second time.
    key.stopPropagation()
    const id = ids[next] as number
    if (id === selectedId) {
      gridRow(grid.current, id)?.focus({ preventScroll: true })
      return
    }
    focusWanted.current = id
    select(id)
  }

  return { onKeyDown }
}
