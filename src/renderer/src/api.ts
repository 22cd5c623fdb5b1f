import type { OutpostApi } from '@shared/api'
import { ApiRequestError, createHttpClient } from '@shared/http-client'

/**
 * Picks the transport once. In Electron the preload bridge is present; in a plain browser (the
 * headless console) the same API is reached over HTTP with an admin token. Nothing else in the
 * renderer knows which one it got.
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
  if (window.outpost) return window.outpost
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

export function isUnauthorized(error: unknown): boolean {
  return error instanceof ApiRequestError && error.status === 401
}

/** The collector answered but refused the call (as opposed to not answering at all). */
export function isRefusedByCollector(error: unknown): boolean {
  return error instanceof ApiRequestError
}

export function describeError(error: unknown): string {
  if (error instanceof Error && error.message) return error.message
  return String(error)
}
