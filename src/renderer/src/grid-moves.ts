// Plain logic of the lists' keys (no DOM, no React), unit-tested in Node.

/** Rows PageUp and PageDown move: about a screenful of 28 px rows in a laptop window. */
export const PAGE_ROWS = 10

/**
 * The row index a key moves to in a list of `count` rows, from `index` (-1: none yet), or null
 * when the key does not move: ↑/↓ one row, PageUp/PageDown a page, Home/End the ends.
 */
export function movedIndex(key: string, index: number, count: number, pageRows = PAGE_ROWS): number | null {
  if (count === 0) return null
  const last = count - 1
  const clamp = (to: number) => Math.min(last, Math.max(0, to))
  switch (key) {
    case 'ArrowDown':
      return index < 0 ? 0 : clamp(index + 1)
    case 'ArrowUp':
      return index < 0 ? 0 : clamp(index - 1)
    case 'PageDown':
      return clamp(index + pageRows)
    case 'PageUp':
      return clamp(index - pageRows)
    case 'Home':
      return 0
    case 'End':
      return last
    default:
      return null
  }
}

/** The row that holds the list's one tab stop: the selected one when rendered, else the first rendered. */
export function tabStopId(renderedIds: readonly number[], selectedId: number | null): number | null {
  if (selectedId !== null && renderedIds.includes(selectedId)) return selectedId
  return renderedIds[0] ?? null
}
