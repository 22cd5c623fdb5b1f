import { useEffect } from 'react'
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

/**
 * The device's name in the window's title and beside the brand: an operator with the consoles of
 * several kiosks open tells them apart, in the tabs and in the task switcher.
 */
function useDeviceTitle(deviceId: string | undefined): void {
  useEffect(() => {
    document.title = deviceId ? `Outpost · ${deviceId}` : 'Outpost'
  }, [deviceId])
}

export function TopBar() {
  const stats = useOutpost((state) => state.stats)
  const syncNow = useOutpost((state) => state.syncNow)
  useDeviceTitle(stats?.deviceId)
  return (
    <header className="topbar">
      <h1 className="brand">
        Outpost
        {stats && (
          <span className="device-label" data-testid="device-label" title="This device's name in its fleet">
            {stats.deviceId}
          </span>
        )}
      </h1>
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
