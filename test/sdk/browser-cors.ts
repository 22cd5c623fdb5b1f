/**
 * The checks a browser makes before it lets a page's script talk to another origin (the Fetch
 * standard's CORS protocol), around Node's fetch: jsdom has no fetch of its own, and Node's does
 * not check CORS, so without this a jsdom page reaches servers a browser page could not.
 *
 * A request with a method or header a page may not send freely (for the web SDKs:
 * `Content-Type: application/json` and `X-API-Key`) is preceded by an `OPTIONS` preflight; the
 * preflight and the answer itself must allow the page's origin. When they do not, the browser
 * fails the fetch with a bare TypeError, as here; the reason goes to the console, here to `blocked`.
 */

const SIMPLE_METHODS = ['GET', 'HEAD', 'POST']
const SAFELISTED_HEADERS = ['accept', 'accept-language', 'content-language']
const SIMPLE_CONTENT_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain']

/** Lowercased names of the request headers the server must allow, sorted as browsers send them. */
function headersNeedingPermission(headers: Headers): string[] {
  return [...headers.keys()]
    .filter((name) => {
      if (SAFELISTED_HEADERS.includes(name)) return false
      if (name !== 'content-type') return true
      const mediaType = (headers.get(name) ?? '').split(';')[0]!.trim().toLowerCase()
      return !SIMPLE_CONTENT_TYPES.includes(mediaType)
    })
    .sort()
}

function listed(header: string | null): string[] {
  return (header ?? '')
    .split(',')
    .map((item) => item.trim().toLowerCase())
    .filter(Boolean)
}

/** Why the answer does not let `origin` read it; null when it does (no credentials are sent). */
function originProblem(response: Response, origin: string): string | null {
  const allowed = response.headers.get('access-control-allow-origin')
  if (allowed === '*' || allowed === origin) return null
  return `Access-Control-Allow-Origin is ${allowed === null ? 'absent' : `"${allowed}"`}, not "${origin}"`
}

function preflightProblem(
  response: Response,
  origin: string,
  method: string,
  headers: string[]
): string | null {
  if (response.status < 200 || response.status > 299) return `the preflight was answered ${response.status}`
  const originRefusal = originProblem(response, origin)
  if (originRefusal) return `the preflight's ${originRefusal}`
  const methods = listed(response.headers.get('access-control-allow-methods'))
  if (!SIMPLE_METHODS.includes(method) && !methods.includes('*') && !methods.includes(method.toLowerCase())) {
    return `Access-Control-Allow-Methods does not list ${method}`
  }
  const allowedHeaders = listed(response.headers.get('access-control-allow-headers'))
  const missing = headers.filter((name) => !allowedHeaders.includes('*') && !allowedHeaders.includes(name))
  return missing.length ? `Access-Control-Allow-Headers does not list ${missing.join(', ')}` : null
}

/** A page's fetch on `pageOrigin`: `nodeFetch` behind the browser's CORS checks. */
export function corsCheckingFetch(
  nodeFetch: typeof fetch,
  pageOrigin: string,
  blocked: string[]
): typeof fetch {
  const refuse = (what: string, reason: string): never => {
    blocked.push(`${what}: ${reason}`)
    throw new TypeError('Failed to fetch')
  }
  return async (input, init = {}) => {
    const url = new URL(input instanceof Request ? input.url : String(input))
    if (url.origin === pageOrigin) return nodeFetch(input, init)
    const method = (init.method ?? 'GET').toUpperCase()
    const headers = new Headers(init.headers)
    const what = `${method} ${url.pathname}`
    const needed = headersNeedingPermission(headers)
    if (needed.length > 0 || !SIMPLE_METHODS.includes(method)) {
      const preflight = await nodeFetch(url, {
        method: 'OPTIONS',
        headers: {
          origin: pageOrigin,
          'access-control-request-method': method,
          ...(needed.length ? { 'access-control-request-headers': needed.join(',') } : {})
        }
      })
      const problem = preflightProblem(preflight, pageOrigin, method, needed)
      if (problem) refuse(what, problem)
    }
    headers.set('origin', pageOrigin)
    const response = await nodeFetch(url, { ...init, headers })
    const problem = originProblem(response, pageOrigin)
    return problem ? refuse(what, `the answer's ${problem}`) : response
  }
}
