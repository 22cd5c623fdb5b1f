import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest
} from 'fastify'
import { MAX_JSON_DEPTH, parseJsonText, type ParsedJson } from '../connectors/json-text'
import { decodeUtf8 } from './utf8'

declare module 'fastify' {
  interface FastifyRequest {
    /** The body exactly as the client sent it; null when the request had none. */
    rawBody: string | null
  }
}

const FORBIDDEN_KEY = 'OUTPOST_FORBIDDEN_JSON_KEY'
const TOO_DEEP = 'OUTPOST_JSON_TOO_DEEP'
const INVALID_ENCODING = 'OUTPOST_INVALID_ENCODING'
const COMPRESSED = 'OUTPOST_COMPRESSED_BODY'
/** find-my-way's default; a longer path parameter (an Embeddables project id) is refused. */
const MAX_PATH_PARAMETER_LENGTH = 100
/** How often Node looks for requests past their timeout: a timeout is enforced within this much. */
const TIMEOUT_CHECK_MS = 1_000

type Wording = (error: FastifyError, bodyLimit: number) => string

const CLIENT_ERRORS: Record<string, { error: string; message: Wording }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: {
    error: 'invalid_json',
    message: (e) => `The body is not valid JSON: ${e.message}`
  },
  [FORBIDDEN_KEY]: {
    error: 'forbidden_key',
    message: () =>
      'The body uses "__proto__" or "constructor.prototype" as a key; Outpost refuses them (prototype poisoning)'
  },
  [TOO_DEEP]: {
    error: 'too_deep',
    message: () => `The JSON body nests deeper than ${MAX_JSON_DEPTH} levels`
  },
  [COMPRESSED]: {
    error: 'unsupported_encoding',
    message: () => 'The body has a Content-Encoding; Outpost takes JSON as it is, not compressed'
  },
  [INVALID_ENCODING]: {
    error: 'invalid_encoding',
    message: (e) => `The body is not valid UTF-8 at ${e.message} (JSON text must be UTF-8)`
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    error: 'empty_body',
    message: () => 'The body is empty; a JSON object is expected'
  },
  FST_ERR_CTP_BODY_TOO_LARGE: {
    error: 'body_too_large',
    message: (_e, bodyLimit) =>
      `The body is larger than the ${bodyLimit} bytes this collector takes (ingest.bodyLimitBytes); send fewer events a request`
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    error: 'unsupported_media_type',
    message: () => 'Send the body as JSON with Content-Type: application/json'
  }
}

function clientError(code: string, message: string, statusCode = 400): Error {
  return Object.assign(new Error(message), { statusCode, code })
}

/** A body is read as it came: compressed bytes read as text would only be called invalid UTF-8. */
function isCompressed(request: FastifyRequest): boolean {
  const encoding = request.headers['content-encoding']
  return encoding !== undefined && encoding.trim().toLowerCase() !== 'identity'
}

const PARSE_ERRORS: Record<Exclude<ParsedJson, { ok: true }>['problem'], string> = {
  empty: 'FST_ERR_CTP_EMPTY_JSON_BODY',
  syntax: 'FST_ERR_CTP_INVALID_JSON_BODY',
  forbidden_key: FORBIDDEN_KEY,
  too_deep: TOO_DEEP
}

/**
 * One JSON parser for every content type we take JSON from (fastify's default would drop the
 * syntax error's reason). The body text is kept: events are stored as the client's own text,
 * and the rejection log shows a refused body as it came.
 */
function parseJsonBody(
  request: FastifyRequest,
  body: Buffer,
  done: (error: Error | null, value?: unknown) => void
) {
  if (isCompressed(request)) return done(clientError(COMPRESSED, 'compressed', 415))
  const decoded = decodeUtf8(body)
  request.rawBody = decoded.text
  if (!decoded.ok) return done(clientError(INVALID_ENCODING, `byte ${decoded.invalidAt}`))
  const parsed = parseJsonText(decoded.text)
  if (parsed.ok) return done(null, parsed.value)
  done(clientError(PARSE_ERRORS[parsed.problem], parsed.reason))
}

/** Told of a request the router refused, with the status and JSON text of the answer sent. */
export type RouterRefusalListener = (request: FastifyRequest, status: number, answer: string) => void

const routerRefusalListeners = new WeakMap<FastifyInstance, RouterRefusalListener[]>()

/** Fastify runs no hook for a URL its router refuses: whoever keeps refusals listens here too. */
export function onRouterRefusal(app: FastifyInstance, listener: RouterRefusalListener): void {
  routerRefusalListeners.get(app)?.push(listener)
}

/** A URL the router refuses before any route runs (bad %-escapes, a path parameter too long). */
function routerRefusal(error: FastifyError): string {
  const message =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? `A path parameter (e.g. an Embeddables project id) is longer than ${MAX_PATH_PARAMETER_LENGTH} characters`
      : 'The URL path is not valid: each %-escape must be percent-encoded UTF-8'
  return JSON.stringify({ error: 'invalid_url', message })
}

export interface HttpServerOptions {
  bodyLimit: number
  /** The whole request, headers and body, must arrive within this; also the longest a socket may idle. */
  requestTimeoutMs: number
  /** Connections beyond this many are closed at once. */
  maxConnections: number
}

/**
 * The one HTTP server of a collector: vendor ingest routes, the admin API and the console.
 * Every error leaves as JSON that names what was wrong.
 */
export function createHttpServer(options: HttpServerOptions): FastifyInstance {
  const refusalListeners: RouterRefusalListener[] = []
  const answerRouterError = (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const answer = routerRefusal(error)
    reply.code(400).type('application/json; charset=utf-8').send(answer)
    for (const listener of refusalListeners) listener(request, 400, answer)
  }
  const app = Fastify({
    bodyLimit: options.bodyLimit,
    logger: false,
    routerOptions: { maxParamLength: MAX_PATH_PARAMETER_LENGTH },
    frameworkErrors: answerRouterError,
    // A client sending a byte now and then (slow loris) would otherwise hold its socket for ever.
    requestTimeout: options.requestTimeoutMs,
    connectionTimeout: options.requestTimeoutMs,
    http: { headersTimeout: options.requestTimeoutMs, connectionsCheckingInterval: TIMEOUT_CHECK_MS }
  })
  routerRefusalListeners.set(app, refusalListeners)
  app.server.maxConnections = options.maxConnections
  app.decorateRequest('rawBody', null)

  // Browsers' sendBeacon and some SDKs post JSON as text/plain.
  app.removeContentTypeParser(['application/json', 'text/plain'])
  app.addContentTypeParser(['application/json', 'text/plain'], { parseAs: 'buffer' }, (request, body, done) =>
    parseJsonBody(request, body as Buffer, done)
  )

  app.setErrorHandler((error: FastifyError, _request, reply) => {
    const known = error.code ? CLIENT_ERRORS[error.code] : undefined
    const status = error.statusCode ?? 500
    if (known)
      return reply.code(status).send({ error: known.error, message: known.message(error, options.bodyLimit) })
    if (status < 500) return reply.code(status).send({ error: 'bad_request', message: error.message })
    console.error('[outpost] request failed', error)
    return reply
      .code(500)
      .send({ error: 'internal', message: 'Outpost failed to handle the request; nothing was stored' })
  })

  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({
      error: 'not_found',
      message: `No route ${request.method} ${request.url}. Ingestion URLs are /{destinationId}/{vendor path}, e.g. /whisperr/v1/events/track`
    })
  })

  return app
}
