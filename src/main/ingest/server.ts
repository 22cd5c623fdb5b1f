import Fastify, { type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify'
import { MAX_JSON_DEPTH, parseJsonText, type ParsedJson } from '../connectors/json-text'

declare module 'fastify' {
  interface FastifyRequest {
    /** The body exactly as the client sent it; null when the request had none. */
    rawBody: string | null
  }
}

const FORBIDDEN_KEY = 'OUTPOST_FORBIDDEN_JSON_KEY'
const TOO_DEEP = 'OUTPOST_JSON_TOO_DEEP'

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

function clientError(code: string, message: string): Error {
  return Object.assign(new Error(message), { statusCode: 400, code })
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
  body: string,
  done: (error: Error | null, value?: unknown) => void
) {
  request.rawBody = body
  const parsed = parseJsonText(body)
  if (parsed.ok) return done(null, parsed.value)
  done(clientError(PARSE_ERRORS[parsed.problem], parsed.reason))
}

/**
 * The one HTTP server of a collector: vendor ingest routes, the admin API and the console.
 * Every error leaves as JSON that names what was wrong.
 */
export function createHttpServer(options: { bodyLimit: number }): FastifyInstance {
  const app = Fastify({ bodyLimit: options.bodyLimit, logger: false })
  app.decorateRequest('rawBody', null)

  // Browsers' sendBeacon and some SDKs post JSON as text/plain.
  app.removeContentTypeParser(['application/json', 'text/plain'])
  app.addContentTypeParser(['application/json', 'text/plain'], { parseAs: 'string' }, (request, body, done) =>
    parseJsonBody(request, body as string, done)
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
