import { useArrowKeySelection } from '../list-selection'
import { useOutpost } from '../store'
import { EmptyEvents } from './EmptyEvents'
import { EventRow } from './EventRow'

function LoadMore() {
  const hasMore = useOutpost((state) => state.nextBeforeId !== null)
  const loadingMore = useOutpost((state) => state.loadingMore)
  const loadMore = useOutpost((state) => state.loadMore)
  if (!hasMore) return null
  return (
    <div className="load-more">
      <button
        type="button"
        className="button"
        data-testid="load-more"
        disabled={loadingMore}
        onClick={() => void loadMore()}
      >
        {loadingMore ? 'Loading…' : 'Load more'}
      </button>
    </div>
  )
}

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
        onClick={() => void resendEvents({ ids: checkedIds })}
      >
        Resend
      </button>
      <button
        type="button"
        className="button"
        data-testid="discard-checked"
        title="Never send the waiting or failed ones; they stay listed as discarded"
        onClick={() => void discardEvents(checkedIds)}
      >
        Discard
      </button>
      <button type="button" className="link-button" onClick={() => checkAll(false)}>
        Clear selection
      </button>
    </div>
  )
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

  if (events.length === 0) {
    return (
      <section className="event-list" aria-label="Events">
        <EmptyEvents />
      </section>
    )
  }

  return (
    <section className="event-list" aria-label="Events">
      <SelectionBar />
      <table className="events" role="grid" aria-label="Events" data-testid="event-table">
        <thead>
          <tr>
            <th className="col-check">
              <input
                type="checkbox"
                aria-label="Select every event shown"
                data-testid="check-all"
                checked={checkedIds.length > 0 && checkedIds.length === events.length}
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
          {events.map((event) => (
            <EventRow
              key={event.id}
              event={event}
              selected={event.id === selectedId}
              checked={checkedIds.includes(event.id)}
              onSelect={select}
              onCheck={toggleChecked}
            />
          ))}
        </tbody>
      </table>
      <LoadMore />
    </section>
  )
}
