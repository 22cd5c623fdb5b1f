/** The id `offset` rows away from the selected one (the first row when none is selected). */
export function movedSelection(
  rows: { id: number }[],
  selectedId: number | null,
  offset: 1 | -1
): number | null {
  if (rows.length === 0) return null
  const index = rows.findIndex((row) => row.id === selectedId)
  const nextIndex = index === -1 ? 0 : Math.min(rows.length - 1, Math.max(0, index + offset))
  return rows[nextIndex]?.id ?? null
}

export const countOf = (n: number): string => `${n} ${n === 1 ? 'event' : 'events'}`
