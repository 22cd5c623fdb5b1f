import { useState, type FormEvent } from 'react'
import { useOutpost } from '../store'

export function TokenForm() {
  const authProblem = useOutpost((state) => state.authProblem)
  const submitToken = useOutpost((state) => state.submitToken)
  const [token, setToken] = useState('')

  const onSubmit = (event: FormEvent<HTMLFormElement>): void => {
    event.preventDefault()
    const trimmed = token.trim()
    if (trimmed) submitToken(trimmed)
  }

  return (
    <div className="center-page">
      <form className="token-form" onSubmit={onSubmit}>
        <h2>Admin token</h2>
        <p className="muted">
          Open the one-time login link that <code>outpost serve</code> prints at start, or enter the admin
          token (the value of <code>OUTPOST_ADMIN_TOKEN</code>, or the one <code>outpost serve</code>{' '}
          printed). The token is traded for a session cookie and is not kept by this page.
        </p>
        {authProblem && (
          <p className="form-problem" role="alert">
            {authProblem}
          </p>
        )}
        <div className="token-row">
          <input
            type="password"
            className="input"
            aria-label="Admin token"
            placeholder="Admin token"
            autoComplete="off"
            autoFocus
            data-testid="token-input"
            value={token}
            onChange={(event) => setToken(event.target.value)}
          />
          <button type="submit" className="button button-primary" data-testid="token-submit">
            Connect
          </button>
        </div>
      </form>
    </div>
  )
}
