import { apiContract, apiMethods, type ApiMethod, type OutpostApi } from './api'
import { ApiRequestError } from './api-error'
import type { RejectedField } from './model'

// What this client throws, importable along with it.
export { ApiRequestError }

export interface HttpClientOptions {
  /** Origin of the collector, e.g. http://127.0.0.1:8787; '' for the page's own origin. */
  baseUrl: string
  token: string
  fetch?: typeof fetch
}

/** Builds the URL and body of one call from the route: `:name` segments take input.name. */
export function routeRequest(
  method: ApiMethod,
  input: Record<string, unknown>
): { url: string; body?: string } {
  const { http } = apiContract[method]
  const rest: Record<string, unknown> = { ...input }
  const path = http.path.replace(/:(\w+)/g, (_, name: string) => {
    const value = rest[name]
    delete rest[name]
    return encodeURIComponent(String(value))
  })
  const defined = Object.entries(rest).filter(([, value]) => value !== undefined)
  if (http.method === 'POST') return { url: path, body: JSON.stringify(Object.fromEntries(defined)) }
  const query = new URLSearchParams(
    defined.map(([key, value]): [string, string] => [key, String(value)])
  ).toString()
  return { url: query ? `${path}?${query}` : path }
}

/** The HTTP transport of OutpostApi, for the headless console and for tests. */
export function createHttpClient(options: HttpClientOptions): OutpostApi {
  const doFetch = options.fetch ?? fetch
  const call = async (method: ApiMethod, input: Record<string, unknown>): Promise<unknown> => {
    const { url, body } = routeRequest(method, input ?? {})
    const response = await doFetch(options.baseUrl + url, {
      method: apiContract[method].http.method,
      headers: {
        authorization: `Bearer ${options.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' })
      },
      body
    })
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
  const client: Record<string, unknown> = {}
  for (const method of apiMethods) client[method] = (input: Record<string, unknown>) => call(method, input)
  return client as unknown as OutpostApi
}
