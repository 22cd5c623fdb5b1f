import type { RejectedField } from './model'

/**
 * A call the collector answered with a refusal. Both transports throw it (the HTTP client from
 * the response, the bridge client from the IPC envelope), so the UI reads errors one way.
 */
export class ApiRequestError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    readonly problems: RejectedField[] = []
  ) {
    super(message)
    this.name = 'ApiRequestError'
  }
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

/**
 * What the token form says after a refusal: nothing when the browser simply was not signed in
 * (the form explains itself), else the collector's reason (a wrong token, an ended session).
 */
export function authProblemOf(error: unknown): string | null {
  if (error instanceof ApiRequestError && error.code === 'not_signed_in') return null
  return error instanceof Error ? error.message : String(error)
}
