import { useArrowKeySelection } from '../keyboard'
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

export function EventList() {
  const events = useOutpost((state) => state.events)
  const selectedId = useOutpost((state) => state.selectedId)
  const select = useOutpost((state) => state.select)
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
      <table className="events" role="grid" aria-label="Events" data-testid="event-table">
        <thead>
          <tr>
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
            <EventRow key={event.id} event={event} selected={event.id === selectedId} onSelect={select} />
          ))}
        </tbody>
      </table>
      <LoadMore />
    </section>
  )
}
