import { useOutpost } from '../store'

/** The last failed action; stays until dismissed so it cannot be missed. */
export function ErrorBanner() {
  const banner = useOutpost((state) => state.banner)
  const dismissBanner = useOutpost((state) => state.dismissBanner)
  if (!banner) return null
  return (
    <div className="banner banner-error" role="alert" data-testid="error-banner">
      <span className="banner-text">{banner}</span>
      <button
        type="button"
        className="banner-dismiss"
        aria-label="Dismiss"
        data-testid="error-dismiss"
        onClick={dismissBanner}
      >
        ×
      </button>
    </div>
  )
}

/** Polling trouble; disappears by itself once the collector answers again. */
export function ConnectionNotice() {
  const problem = useOutpost((state) => state.connectionProblem)
  if (!problem) return null
  return (
    <div className="banner banner-warning" role="status" data-testid="connection-problem">
      <span className="banner-text">{problem}</span>
    </div>
  )
}
