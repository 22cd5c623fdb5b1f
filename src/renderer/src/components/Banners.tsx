import { useEffect } from 'react'
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

const NOTICE_MS = 8_000

/** What a bulk action did; goes away by itself. */
export function NoticeBanner() {
  const notice = useOutpost((state) => state.notice)
  const dismissNotice = useOutpost((state) => state.dismissNotice)
  useEffect(() => {
    if (!notice) return
    const timer = setTimeout(dismissNotice, NOTICE_MS)
    return () => clearTimeout(timer)
  }, [notice, dismissNotice])
  if (!notice) return null
  return (
    <div className="banner banner-notice" role="status" data-testid="notice">
      <span className="banner-text">{notice}</span>
      <button type="button" className="banner-dismiss" aria-label="Dismiss" onClick={dismissNotice}>
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
