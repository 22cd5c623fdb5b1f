import { formatDateTime } from '../format'
import { useOutpost } from '../store'

/**
 * The next page; after a search that ran out of time (it reads events for a bounded time per
 * page), what it searched and a button that searches older events.
 */
export function LoadMore() {
  const hasMore = useOutpost((state) => state.nextBeforeId !== null)
  const searchedBackTo = useOutpost((state) => state.searchedBackTo)
  const loadingMore = useOutpost((state) => state.loadingMore)
  const loadMore = useOutpost((state) => state.loadMore)
  if (!hasMore) return null
  const label = searchedBackTo === null ? 'Load more' : 'Search older'
  return (
    <div className="load-more">
      {searchedBackTo !== null && (
        <span className="muted" data-testid="searched-back-to">
          Searched events received since {formatDateTime(searchedBackTo)}
        </span>
      )}
      <button
        type="button"
        className="button"
        data-testid="load-more"
        disabled={loadingMore}
        onClick={() => void loadMore()}
      >
        {loadingMore ? 'Loading…' : label}
      </button>
    </div>
  )
}
