import { useOutpost, type View } from '../store'

function Tab({ view, label, count }: { view: View; label: string; count?: number }) {
  const current = useOutpost((state) => state.view)
  const showView = useOutpost((state) => state.showView)
  const selected = current === view
  return (
    <button
      type="button"
      role="tab"
      aria-selected={selected}
      className={selected ? 'tab selected' : 'tab'}
      data-testid={`view-${view}`}
      onClick={() => showView(view)}
    >
      {label}
      {count !== undefined && (
        <span
          className={count > 0 ? 'tab-count tab-count-alert' : 'tab-count'}
          data-testid={`view-${view}-count`}
        >
          {count}
        </span>
      )}
    </button>
  )
}

/**
 * Stored events, or the requests Outpost refused: a tester needs both to see why an event is
 * missing. Activity: what each destination took in and sent over time.
 */
export function ViewTabs() {
  const rejected = useOutpost((state) => state.stats?.rejections.count ?? 0)
  return (
    <div className="tabs" role="tablist" aria-label="View">
      <Tab view="events" label="Events" />
      <Tab view="rejected" label="Rejected" count={rejected} />
      <Tab view="activity" label="Activity" />
    </div>
  )
}
