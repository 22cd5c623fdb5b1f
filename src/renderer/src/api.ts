import { apiMethods, type ExportFormat, type OutpostApi } from '@shared/api'
import { createBridgeClient } from '@shared/bridge-client'
import { createHttpClient, exportDownloadUrl, openConsoleSession, uploadImport } from '@shared/http-client'
import type { EventFilter, ExportProgress, ImportOptions, ImportProgress, ImportSummary } from '@shared/model'
import { personHeaders } from './person-name'

export { describeError, isRefusedByCollector, isUnauthorized } from '@shared/api-error'

/**
 * Picks the transport once. In Electron the preload bridge is present; in a plain browser (the
 * headless console) the same API is reached over HTTP, signed in by an HttpOnly session cookie
 * (from a one-time login link, or from the admin token given once to the token form). The page
 * never holds the token: nothing in the address bar, history or storage can be replayed. Both
 * transports throw ApiRequestError for a refusal, so nothing else in the renderer knows which
 * one it got.
 */

/** Each call says who sits at the console, when they gave their name. */
function consoleApi(): OutpostApi {
  return createHttpClient({ baseUrl: '', headers: personHeaders })
}

/** The API to use now: a session cookie, if the browser has one, is tried by the first call. */
export function connect(): OutpostApi {
  if (window.outpost) return createBridgeClient(window.outpost)
  return consoleApi()
}

/**
 * How this transport exports: the console downloads a link (the browser streams it to disk with
 * the session cookie, the page holds none of it), so this is its URL; the desktop app has main
 * write the file (`exportEventsToFile`), so null.
 */
export function exportLink(filter: EventFilter, format: ExportFormat): string | null {
  return window.outpost ? null : exportDownloadUrl(filter, format)
}

/** Follows the desktop app's export to a file; returns the function that stops following. */
export function followExportProgress(listener: (progress: ExportProgress) => void): () => void {
  return window.outpost?.onExportProgress(listener) ?? (() => undefined)
}

/** Whether the person picks the file to import in the page (the console uploads it); the desktop app has main ask. */
export function importPicksFileInPage(): boolean {
  return !window.outpost
}

/**
 * Imports an NDJSON export: the console uploads `file` (signed in by its session cookie); the desktop
 * app has main ask which file to open and import, and answers null when the person cancelled.
 */
export async function importEvents(
  file: File | null,
  options: ImportOptions,
  onProgress: (progress: ImportProgress) => void
): Promise<ImportSummary | null> {
  const bridge = window.outpost
  if (bridge) {
    const stopFollowing = bridge.onImportProgress(onProgress)
    try {
      return await createBridgeClient(bridge).importEventsFromFile(options)
    } finally {
      stopFollowing()
    }
  }
  if (file === null) throw new Error('Choose the export file to import first')
  return uploadImport({ baseUrl: '', headers: personHeaders }, file, options, onProgress)
}

/** Every call waits for the sign-in, and fails with its refusal when the token was refused. */
function afterSignIn(signIn: Promise<void>, api: OutpostApi): OutpostApi {
  // The first call reports a refusal; until then it is not an unhandled rejection.
  signIn.catch(() => undefined)
  const client: Record<string, unknown> = {}
  for (const method of apiMethods) {
    const call = api[method] as (input: unknown) => Promise<unknown>
    client[method] = async (input: unknown) => {
      await signIn
      return call(input)
    }
  }
  return client as unknown as OutpostApi
}

/** Called by the token form: trades the token for a session cookie and returns an API that uses it. */
export function connectWithToken(token: string): OutpostApi {
  return afterSignIn(openConsoleSession({ baseUrl: '', token }), consoleApi())
}
