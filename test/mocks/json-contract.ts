/**
 * What the strict vendor mocks share: the gate every request passes before a mock reads its body
 * (each vendor takes JSON by POST), and the small helpers their validators are built from.
 *
 * Logic only, never the shape of an answer: the gate describes a refusal and each mock turns it
 * into its own vendor's error body, because each mock imitates its vendor.
 */
import type { RecordedRequest } from './mock-upstream'

/** One reason a request was refused; every vendor's problem type has at least these fields. */
export interface ContractProblem {
  field: string
  reason: string
}

// ---------------------------------------------------------------------------------------------
// Helpers for validators
// ---------------------------------------------------------------------------------------------

/** What JSON calls an object: not null, not an array. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Wordings some mocks use when naming a value's type; the others keep the plain `typeof` one. */
export interface TypeWording {
  /** 'an object' for an object, where the plain wording says 'a object'. */
  anObject?: boolean
  /** 'a non-finite number (Infinity)' for Infinity and NaN; JSON `1e400` parses to Infinity. */
  nonFiniteNumber?: boolean
}

/** A function naming a value's type in a refusal reason: 'null', 'an array', 'a string'... */
export function typeDescriber(wording: TypeWording = {}): (value: unknown) => string {
  return (value) => {
    if (value === null) return 'null'
    if (Array.isArray(value)) return 'an array'
    if (wording.anObject && typeof value === 'object') return 'an object'
    if (wording.nonFiniteNumber && typeof value === 'number' && !Number.isFinite(value)) {
      return `a non-finite number (${value})`
    }
    return `a ${typeof value}`
  }
}

/** The plain wording: 'null', 'an array', else 'a ' + `typeof`. */
export const describeType = typeDescriber()

/** One problem per key of `value` that `allowed` does not list; `prefix` says where `value` sits. */
export function unknownFieldProblems(
  value: Record<string, unknown>,
  allowed: readonly string[],
  prefix = ''
): ContractProblem[] {
  return Object.keys(value)
    .filter((key) => !allowed.includes(key))
    .map((key) => ({ field: `${prefix}${key}`, reason: `unknown field (allowed: ${allowed.join(', ')})` }))
}

// ---------------------------------------------------------------------------------------------
// The request gate
// ---------------------------------------------------------------------------------------------

/** The request's path and query; the host is a placeholder, since `request.path` has none. */
export function requestUrl(request: RecordedRequest): URL {
  return new URL(request.path, 'http://mock.invalid')
}

function isJsonContentType(contentType: string | undefined): boolean {
  const mediaType = (contentType ?? '').split(';')[0]?.trim().toLowerCase()
  return mediaType === 'application/json'
}

/** What the gate needs to know of a vendor. */
export interface RequestGate {
  /** Whether the vendor serves `path`; any other path answers 404. */
  isEndpoint(path: string): boolean
  /** Why the request's credentials are refused (401); null when they are accepted. */
  authProblem(headers: RecordedRequest['headers']): ContractProblem | null
  /** Problems with the query string (400), checked after the credentials; none when absent. */
  queryProblems?(query: URLSearchParams): ContractProblem[]
}

/** Names a refusal in snake_case, for mocks whose error bodies carry an error code. */
export type RefusalError =
  | 'not_found'
  | 'method_not_allowed'
  | 'unauthorized'
  | 'invalid_query'
  | 'unsupported_media_type'
  | 'invalid_json'

/** Why the gate refused a request; the mock answers it in its vendor's shape. */
export interface RequestRefusal {
  status: number
  error: RefusalError
  problems: ContractProblem[]
  /** Headers the answer must carry: `Allow: POST` on a 405, none otherwise. */
  headers: Record<string, string>
}

function refusal(
  status: number,
  error: RefusalError,
  problems: ContractProblem[],
  headers: Record<string, string> = {}
): RequestRefusal {
  return { status, error, problems, headers }
}

/** 404, 405, 401 and a bad query's 400: may this caller use this endpoint this way? */
function routeRefusal(request: RecordedRequest, gate: RequestGate): RequestRefusal | null {
  const url = requestUrl(request)
  if (!gate.isEndpoint(url.pathname)) {
    return refusal(404, 'not_found', [{ field: 'path', reason: `no endpoint ${url.pathname}` }])
  }
  if (request.method !== 'POST') {
    const reason = `${request.method} is not allowed, use POST`
    return refusal(405, 'method_not_allowed', [{ field: 'method', reason }], { allow: 'POST' })
  }
  const auth = gate.authProblem(request.headers)
  if (auth) return refusal(401, 'unauthorized', [auth])
  const query = gate.queryProblems?.(url.searchParams) ?? []
  return query.length > 0 ? refusal(400, 'invalid_query', query) : null
}

/** 415 and 400: the body must be declared as JSON and parse as JSON. */
function bodyRefusal(request: RecordedRequest): RequestRefusal | null {
  const contentType = request.headers['content-type']
  if (!isJsonContentType(contentType)) {
    const reason = `must be application/json, got ${contentType ?? 'none'}`
    return refusal(415, 'unsupported_media_type', [{ field: 'content-type', reason }])
  }
  // JSON.parse never yields undefined, so undefined means an empty or malformed body.
  if (request.json === undefined) {
    return refusal(400, 'invalid_json', [{ field: 'body', reason: 'is not valid JSON' }])
  }
  return null
}

/**
 * The first step of the common pipeline that refuses `request`; null when it passes them all.
 * In order: unknown path -> 404 · method other than POST -> 405 (`Allow: POST`) · credentials ->
 * 401 · query string -> 400 (with `gate.queryProblems` only) · Content-Type not application/json
 * -> 415 · body not JSON -> 400.
 */
export function requestRefusal(request: RecordedRequest, gate: RequestGate): RequestRefusal | null {
  return routeRefusal(request, gate) ?? bodyRefusal(request)
}
