import { EVENT_STATUSES, type StatusCounts } from '@shared/model'
import { formatCount } from '../format'
import { useOutpost } from '../store'
import { ImportButton } from './ImportDialog'
import { PersonName } from './PersonName'

function StatusTotals({ counts }: { counts: StatusCounts }) {
  return (
    <ul className="totals" aria-label="Events by status">
      {EVENT_STATUSES.map((status) => (
        <li key={status} className={`total total-${status}`}>
          <span className="total-label">{status}</span>
          <span className="total-value" data-testid={`total-${status}`}>
            {formatCount(counts[status])}
          </span>
        </li>
      ))}
    </ul>
  )
}

export function TopBar() {
  const stats = useOutpost((state) => state.stats)
  const syncNow = useOutpost((state) => state.syncNow)
  return (
    <header className="topbar">
      <h1 className="brand">Outpost</h1>
      {stats && <StatusTotals counts={stats.counts} />}
      {stats && (
        <div className="topbar-end">
          <PersonName />
          <ImportButton />
          {stats.destinations.length > 0 && (
            <button
              type="button"
              className="button"
              data-testid="sync-all"
              title="Deliver every waiting event now, skipping backoff"
              onClick={() => void syncNow()}
            >
              Sync all
            </button>
          )}
        </div>
      )}
    </header>
  )
}
