import { gridRow } from './roving-grid'

/** Element ids of what the keyboard is sent to from elsewhere: the lists and the detail panes. */
export const FOCUS_TARGETS = {
  eventGrid: 'event-grid',
  eventDetail: 'event-detail-pane',
  rejectionGrid: 'rejection-grid',
  rejectionDetail: 'rejection-detail-pane'
} as const

type PaneId = (typeof FOCUS_TARGETS)[keyof typeof FOCUS_TARGETS]

/** After React has drawn the change that called for the move (a pane shown, a row re-rendered). */
function afterRender(run: () => void): void {
  requestAnimationFrame(run)
}

function shown(element: HTMLElement | null): element is HTMLElement {
  return element !== null && element.getClientRects().length > 0
}

export function focusPane(id: PaneId): void {
  afterRender(() => document.getElementById(id)?.focus())
}

/** Frames a row asked for may take to be rendered: a list shown again measures itself first. */
const FRAMES_FOR_A_ROW = 10

/**
 * Puts the keyboard back on a list's row: `rowId` once rendered, else the list's tab stop (the
 * selected row). A narrow window that shows the detail instead of the list keeps it in the detail.
 */
export function focusListRow(
  gridId: PaneId,
  detailId: PaneId,
  rowId?: number,
  framesLeft = FRAMES_FOR_A_ROW
) {
  afterRender(() => {
    const grid = document.getElementById(gridId)
    const wanted = rowId === undefined ? null : gridRow(grid, rowId)
    if (rowId !== undefined && wanted === null && framesLeft > 0) {
      focusListRow(gridId, detailId, rowId, framesLeft - 1)
      return
    }
    const row = wanted ?? grid?.querySelector<HTMLElement>('[data-row-id][tabindex="0"]') ?? null
    if (shown(row)) row.focus()
    else document.getElementById(detailId)?.focus()
  })
}

export const focusEventRow = (rowId?: number) =>
  focusListRow(FOCUS_TARGETS.eventGrid, FOCUS_TARGETS.eventDetail, rowId)
export const focusRejectionRow = (rowId?: number) =>
  focusListRow(FOCUS_TARGETS.rejectionGrid, FOCUS_TARGETS.rejectionDetail, rowId)
