import {
  apiContract,
  apiMethods,
  exportDownload,
  importUpload,
  type ApiMethod,
  type ExportFormat,
  type ImportAnswerLine,
  type OutpostApi
} from './api'
import { ApiRequestError } from './api-error'
import type { EventFilter, ImportOptions, ImportProgress, ImportSummary, RejectedField } from './model'

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

/** Where the import is uploaded: `?map=<file destination>:<destination here>` for each one mapped. */
export function importUploadUrl(options: ImportOptions): string {
  const map = Object.entries(options.destinations ?? {}).map(([from, to]): [string, string] => [
    'map',
    `${from}:${to}`
  ])
  const query = new URLSearchParams(map).toString()
  return importUpload.path + (query ? `?${query}` : '')
}

/** The answer's lines, as they arrive. */
async function* answerLines(body: ReadableStream<Uint8Array>): AsyncGenerator<ImportAnswerLine> {
  const reader = body.getReader()
  const decoder = new TextDecoder()
  let pending = ''
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    pending += decoder.decode(value, { stream: true })
    const lines = pending.split('\n')
    pending = lines.pop() as string
    for (const line of lines) if (line) yield JSON.parse(line) as ImportAnswerLine
  }
}

/**
 * Uploads an NDJSON export to import it (`importUpload`): the progress as the collector reports it,
 * then its summary. The body is the file itself (a File or a file-backed Blob), read as it is sent.
 */
export async function uploadImport(
  options: HttpClientOptions,
  file: Blob,
  importOptions: ImportOptions,
  onProgress: (progress: ImportProgress) => void
): Promise<ImportSummary> {
  const doFetch = options.fetch ?? fetch
  const response = await doFetch(options.baseUrl + importUploadUrl(importOptions), {
    method: 'POST',
    headers: {
      ...options.headers?.(),
      ...authorization(options.token),
      'content-type': importUpload.contentType
    },
    credentials: 'same-origin',
    body: file
  })
  if (!response.ok || !response.body) return (await answerOf(response)) as never
  for await (const line of answerLines(response.body)) {
    if ('progress' in line) onProgress(line.progress)
    else if ('summary' in line) return line.summary
    else throw new ApiRequestError(line.error.message, 500, line.error.code)
  }
  throw new ApiRequestError(
    'The import ended without its summary: the collector stopped answering',
    502,
    'internal'
  )
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
