import type { OutpostApi } from '@shared/api'
import { createBridgeClient } from '@shared/bridge-client'
import { createHttpClient } from '@shared/http-client'

export { describeError, isRefusedByCollector, isUnauthorized } from '@shared/api-error'

/**
 * Picks the transport once. In Electron the preload bridge is present; in a plain browser (the
 * headless console) the same API is reached over HTTP with an admin token. Both transports
 * throw ApiRequestError for a refusal, so nothing else in the renderer knows which one it got.
 */

const TOKEN_KEY = 'outpost.token'

/** Moves `#token=...` from the address bar into sessionStorage so it is not left in history. */
function adoptTokenFromLocation(): void {
  const fragment = new URLSearchParams(window.location.hash.replace(/^#/, ''))
  const token = fragment.get('token')
  if (token === null) return
  if (token.trim()) saveToken(token.trim())
  window.history.replaceState(window.history.state, '', window.location.pathname + window.location.search)
}

function readToken(): string | null {
  try {
    return window.sessionStorage.getItem(TOKEN_KEY)
  } catch {
    return null
  }
}

function saveToken(token: string): void {
  try {
    window.sessionStorage.setItem(TOKEN_KEY, token)
  } catch {
    // Storage can be disabled; the token then lives only as long as this page.
  }
}

function forgetToken(): void {
  try {
    window.sessionStorage.removeItem(TOKEN_KEY)
  } catch {
    // Nothing stored, nothing to forget.
  }
}

function httpApi(token: string): OutpostApi {
  return createHttpClient({ baseUrl: '', token })
}

/** The API to use now, or null when the console still needs an admin token. */
export function connect(): OutpostApi | null {
  if (window.outpost) return createBridgeClient(window.outpost)
  adoptTokenFromLocation()
  const token = readToken()
  return token ? httpApi(token) : null
}

/** Called by the token form: remembers the token for this tab and returns an API that uses it. */
export function connectWithToken(token: string): OutpostApi {
  saveToken(token)
  return httpApi(token)
}

/** The stored token was refused: drop it so the form asks again. */
export function disconnect(): void {
  forgetToken()
}
