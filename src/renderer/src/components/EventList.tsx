import { useEffect, useRef, type RefObject } from 'react'
import { useVirtualizer } from '@tanstack/react-virtual'
import type { EventSummary } from '@shared/model'
import { FOCUS_TARGETS, focusEventRow, focusPane } from '../focus-moves'
import { useArrowKeySelection } from '../list-selection'
import { tabStopId } from '../grid-moves'
import { useRovingGrid } from '../roving-grid'
import { useOutpost } from '../store'
import { EmptyEvents } from './EmptyEvents'
import { EventRow } from './EventRow'
import { LoadMore } from './LoadMore'

/** What can be done to the ticked events at once. */
function SelectionBar() {
  const checkedIds = useOutpost((state) => state.checkedIds)
  const resendEvents = useOutpost((state) => state.resendEvents)
  const discardEvents = useOutpost((state) => state.discardEvents)
  const checkAll = useOutpost((state) => state.checkAll)
  if (checkedIds.length === 0) return null
  return (
    <div className="selection-bar" data-testid="selection-bar">
      <span>{checkedIds.length} selected</span>
      <button
        type="button"
        className="button"
        data-testid="resend-checked"
        title="Send the failed or discarded ones again, with their message ids"
        onClick={() => void resendEvents({ ids: checkedIds }).then(() => focusEventRow())}
      >
        Resend
      </button>
      <button
        type="button"
        className="button"
        data-testid="discard-checked"
        title="Never send the waiting or failed ones; they stay listed as discarded"
        onClick={() => void discardEvents(checkedIds).then(() => focusEventRow())}
      >
        Discard
      </button>
      <button type="button" className="link-button" onClick={() => checkAll(false)}>
        Clear selection
      </button>
    </div>
  )
}

/** Every row has this height (styles.css, .event-row): the virtualizer places rows by it. */
const ROW_HEIGHT = 28

/**
 * The table renders only the rows in view, between two spacer rows: "Load more" can grow the
 * list to thousands of events, and the list re-renders on every change of the outbox.
 */
function useVisibleRows(
  scrollElement: RefObject<HTMLElement | null>,
  events: EventSummary[],
  selectedId: number | null
) {
  // The app does not use the React Compiler, and nothing memoizes the virtualizer's functions.
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtualizer = useVirtualizer({
    count: events.length,
    getScrollElement: () => scrollElement.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 20
  })
  // Keyboard selection can move past the rows in view, or past the rows rendered at all.
  const selectedIndex = events.findIndex((event) => event.id === selectedId)
  useEffect(() => {
    if (selectedIndex >= 0) virtualizer.scrollToIndex(selectedIndex, { align: 'auto' })
  }, [selectedIndex, virtualizer])
  const rows = virtualizer.getVirtualItems()
  return {
    rows,
    spaceAbove: rows[0]?.start ?? 0,
    spaceBelow: virtualizer.getTotalSize() - (rows.at(-1)?.end ?? 0)
  }
}

export function EventList() {
  const events = useOutpost((state) => state.events)
  const selectedId = useOutpost((state) => state.selectedId)
  const select = useOutpost((state) => state.select)
  const checkedIds = useOutpost((state) => state.checkedIds)
  const toggleChecked = useOutpost((state) => state.toggleChecked)
  const checkAll = useOutpost((state) => state.checkAll)
  const moveSelection = useOutpost((state) => state.moveSelection)
  useArrowKeySelection(moveSelection)
  const scrollElement = useRef<HTMLElement>(null)
  const grid = useRef<HTMLTableElement>(null)
  const { rows, spaceAbove, spaceBelow } = useVisibleRows(scrollElement, events, selectedId)
  const allChecked = checkedIds.length > 0 && checkedIds.length === events.length
  const { onKeyDown } = useRovingGrid(grid, {
    ids: events.map((event) => event.id),
    selectedId,
    select,
    toggle: toggleChecked,
    toggleAll: () => checkAll(!allChecked),
    open: () => focusPane(FOCUS_TARGETS.eventDetail)
  })
  const tabStop = tabStopId(
    rows.map(({ index }) => (events[index] as EventSummary).id),
    selectedId
  )

  if (events.length === 0) {
    return (
      <section className="event-list" aria-label="Events">
        <EmptyEvents />
      </section>
    )
  }

  return (
    <section className="event-list" aria-label="Events" ref={scrollElement}>
      <SelectionBar />
      <table
        ref={grid}
        id={FOCUS_TARGETS.eventGrid}
        className="events"
        role="grid"
        aria-label="Events"
        aria-rowcount={events.length + 1}
        data-testid="event-table"
        onKeyDown={onKeyDown}
      >
        <thead>
          <tr aria-rowindex={1}>
            <th className="col-check">
              {/* The list is one tab stop: the keyboard ticks every row with Ctrl+A (roving-grid.ts). */}
              <input
                type="checkbox"
                aria-label="Select every event shown"
                aria-keyshortcuts="Control+A Meta+A"
                data-testid="check-all"
                tabIndex={-1}
                checked={allChecked}
                onChange={(change) => checkAll(change.target.checked)}
              />
            </th>
            <th className="col-time">Received</th>
            <th className="col-destination">Destination</th>
            <th className="col-name">Name</th>
            <th className="col-user">User</th>
            <th className="col-status">Status</th>
            <th className="col-attempts num">Attempts</th>
            <th className="col-error">Last error</th>
          </tr>
        </thead>
        <tbody>
          {spaceAbove > 0 && <tr className="spacer" style={{ height: spaceAbove }} aria-hidden />}
          {rows.map(({ index }) => {
            const event = events[index] as EventSummary
            return (
              <EventRow
                key={event.id}
                event={event}
                rowIndex={index + 2}
                tabStop={event.id === tabStop}
                selected={event.id === selectedId}
                checked={checkedIds.includes(event.id)}
                onSelect={select}
                onCheck={toggleChecked}
              />
            )
          })}
          {spaceBelow > 0 && <tr className="spacer" style={{ height: spaceBelow }} aria-hidden />}
        </tbody>
      </table>
      <LoadMore />
    </section>
  )
}
