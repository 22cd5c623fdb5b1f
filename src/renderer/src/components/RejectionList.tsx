import type { Rejection } from '@shared/model'
import { formatDateTime, formatWhen } from '../format'
import { useRef } from 'react'
import { FOCUS_TARGETS, focusPane } from '../focus-moves'
import { useArrowKeySelection, useScrolledIntoView } from '../list-selection'
import { tabStopId } from '../grid-moves'
import { useRovingGrid } from '../roving-grid'
import { useOutpost } from '../store'

export function requestLine(rejection: Rejection): string {
  return `${rejection.method} ${rejection.url}`
}

interface RejectionRowProps {
  rejection: Rejection
  selected: boolean
  /** Whether Tab reaches it: the list is one tab stop (roving-grid.ts). */
  tabStop: boolean
}

function RejectionRow({ rejection, selected, tabStop }: RejectionRowProps) {
  const select = useOutpost((state) => state.selectRejection)
  const rowRef = useScrolledIntoView<HTMLTableRowElement>(selected)
  return (
    <tr
      ref={rowRef}
      className={selected ? 'event-row selected' : 'event-row'}
      data-testid="rejection-row"
      data-rejection-id={rejection.id}
      data-row-id={rejection.id}
      tabIndex={tabStop ? 0 : -1}
      aria-selected={selected}
      onClick={() => select(rejection.id)}
    >
      <td className="col-time mono" title={formatDateTime(rejection.at)}>
        {formatWhen(rejection.at)}
      </td>
      <td className="col-destination">{rejection.destination ?? <span className="muted">—</span>}</td>
      <td className="col-request mono" title={requestLine(rejection)}>
        {requestLine(rejection)}
      </td>
      <td className="col-answer num">{rejection.status}</td>
      <td className="col-error" title={rejection.message}>
        {rejection.message}
      </td>
    </tr>
  )
}

function NothingRejected() {
  return (
    <div className="empty" data-testid="rejections-empty">
      <strong>No request was refused.</strong>
      <p className="muted">
        When Outpost refuses a request (an invalid event, a body that is not JSON, a wrong URL or key), the
        app&apos;s SDK may drop it without a word. It is listed here with the reason Outpost answered.
      </p>
    </div>
  )
}

export function RejectionList() {
  const rejections = useOutpost((state) => state.rejections)
  const selectedId = useOutpost((state) => state.selectedRejectionId)
  const move = useOutpost((state) => state.moveRejectionSelection)
  const select = useOutpost((state) => state.selectRejection)
  useArrowKeySelection(move)
  const grid = useRef<HTMLTableElement>(null)
  const ids = rejections.map((rejection) => rejection.id)
  const { onKeyDown } = useRovingGrid(grid, {
    ids,
    selectedId,
    select,
    open: () => focusPane(FOCUS_TARGETS.rejectionDetail)
  })
  const tabStop = tabStopId(ids, selectedId)

  return (
    // Its rows take the keyboard; with none, the section does, so a long explanation can scroll.
    <section
      className="event-list"
      aria-label="Rejected requests"
      tabIndex={ids.length === 0 ? 0 : undefined}
    >
      {rejections.length === 0 ? (
        <NothingRejected />
      ) : (
        <table
          ref={grid}
          id={FOCUS_TARGETS.rejectionGrid}
          className="events"
          role="grid"
          aria-label="Rejected requests"
          data-testid="rejection-table"
          onKeyDown={onKeyDown}
        >
          <thead>
            <tr>
              <th className="col-time">Received</th>
              <th className="col-destination">Destination</th>
              <th className="col-request">Request</th>
              <th className="col-answer num">Answer</th>
              <th className="col-error">Reason</th>
            </tr>
          </thead>
          <tbody>
            {rejections.map((rejection) => (
              <RejectionRow
                key={rejection.id}
                rejection={rejection}
                selected={rejection.id === selectedId}
                tabStop={rejection.id === tabStop}
              />
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}

export function RejectionsToolbar() {
  const count = useOutpost((state) => state.stats?.rejections.count ?? 0)
  const clear = useOutpost((state) => state.clearRejections)
  return (
    <div className="filters">
      <button
        type="button"
        className="button"
        data-testid="clear-rejections"
        disabled={count === 0}
        title="Forget the rejected requests listed here"
        onClick={() => void clear()}
      >
        Clear
      </button>
      <span className="filters-summary muted">
        {count} refused {count === 1 ? 'request' : 'requests'} · the newest 200 are kept until Outpost
        restarts
      </span>
    </div>
  )
}
