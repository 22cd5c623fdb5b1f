import {
  apiContract,
  apiMethods,
  exportDownload,
  type ApiMethod,
  type ExportFormat,
  type OutpostApi
} from './api'
import { ApiRequestError } from './api-error'
import type { EventFilter, RejectedField } from './model'

// What this client throws, importable along with it.
export { ApiRequestError }

export interface HttpClientOptions {
  /** Origin of the collector, e.g. http://127.0.0.1:8787; '' for the page's own origin. */
  baseUrl: string
  /** The admin token (scripts, tests); without it the console's session cookie authenticates. */
  token?: string
  /** Headers for every call, read as it is made: the console's person name (see person.ts). */
  headers?: () => Record<string, string>
  fetch?: typeof fetch
}

/** Throws the collector's refusal as an ApiRequestError; returns the parsed body otherwise. */
async function answerOf(response: Response): Promise<unknown> {
  const text = await response.text()
  const parsed: unknown = text ? JSON.parse(text) : undefined
  if (!response.ok) {
    const error = (parsed ?? {}) as { error?: string; message?: string; problems?: RejectedField[] }
    throw new ApiRequestError(
      error.message ?? `HTTP ${response.status}`,
      response.status,
      error.error ?? 'internal',
      error.problems
    )
  }
  return parsed ?? null
}

function authorization(token: string | undefined): Record<string, string> {
  return token === undefined ? {} : { authorization: `Bearer ${token}` }
}

/**
 * Trades the admin token for a console session: the collector answers with an HttpOnly cookie,
 * so the page signs in without keeping the token anywhere.
 */
export async function openConsoleSession(options: HttpClientOptions & { token: string }): Promise<void> {
  const doFetch = options.fetch ?? fetch
  await answerOf(
    await doFetch(`${options.baseUrl}/api/session`, {
      method: 'POST',
      headers: authorization(options.token),
      credentials: 'same-origin'
    })
  )
}

/** `?a=1&b=2` of the defined values, or '' when there are none. */
function queryString(values: [string, unknown][]): string {
  const query = new URLSearchParams(
    values
      .filter(([, value]) => value !== undefined)
      .map(([key, value]): [string, string] => [key, String(value)])
  ).toString()
  return query ? `?${query}` : ''
}

/** The export of what the filters match, as a download: a link the console's session cookie opens. */
export function exportDownloadUrl(filter: EventFilter, format: ExportFormat): string {
  return exportDownload.path + queryString([['format', format], ...Object.entries(filter)])
}

/** Builds the URL and body of one call from the route: `:name` segments take input.name. */
export function routeRequest(
  method: ApiMethod,
  input: Record<string, unknown>
): { url: string; body?: string } {
  const { http } = apiContract[method]
  if (http === null) throw new Error(`${method} has no HTTP route`)
  const rest: Record<string, unknown> = { ...input }
  const path = http.path.replace(/:(\w+)/g, (_, name: string) => {
    const value = rest[name]
    delete rest[name]
    return encodeURIComponent(String(value))
  })
  if (http.method === 'GET') return { url: path + queryString(Object.entries(rest)) }
  const defined = Object.entries(rest).filter(([, value]) => value !== undefined)
  return { url: path, body: JSON.stringify(Object.fromEntries(defined)) }
}

/** The HTTP transport of OutpostApi, for the headless console and for tests. */
export function createHttpClient(options: HttpClientOptions): OutpostApi {
  const doFetch = options.fetch ?? fetch
  const call = async (method: ApiMethod, input: Record<string, unknown>): Promise<unknown> => {
    const { http } = apiContract[method]
    if (http === null) throw new ApiRequestError(`${method} is the desktop app's alone`, 400, 'invalid_input')
    const { url, body } = routeRequest(method, input ?? {})
    const response = await doFetch(options.baseUrl + url, {
      method: http.method,
      headers: {
        ...options.headers?.(),
        ...authorization(options.token),
        ...(body === undefined ? {} : { 'content-type': 'application/json' })
      },
      // The console's session cookie goes to its own collector only.
      credentials: 'same-origin',
      body
    })
    return answerOf(response)
  }
  const client: Record<string, unknown> = {}
  for (const method of apiMethods) client[method] = (input: Record<string, unknown>) => call(method, input)
  return client as unknown as OutpostApi
}
