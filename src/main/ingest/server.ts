import Fastify, { type FastifyError, type FastifyInstance } from 'fastify'

const CLIENT_ERRORS: Record<string, { error: string; message: (e: FastifyError) => string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { error: 'invalid_json', message: () => 'The body is not valid JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    error: 'empty_body',
    message: () => 'The body is empty; a JSON object is expected'
  },
  FST_ERR_CTP_BODY_TOO_LARGE: { error: 'body_too_large', message: (e) => e.message },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    error: 'unsupported_media_type',
    message: () => 'Send the body as JSON with Content-Type: application/json'
  }
}

/**
 * The one HTTP server of a collector: vendor ingest routes, the admin API and the console.
 * Every error leaves as JSON that names what was wrong.
 */
export function createHttpServer(options: { bodyLimit: number }): FastifyInstance {
  const app = Fastify({ bodyLimit: options.bodyLimit, logger: false })

  // Browsers' sendBeacon and some SDKs post JSON as text/plain.
  app.addContentTypeParser('text/plain', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, JSON.parse(body as string))
    } catch (error) {
      done(
        Object.assign(error as Error, { statusCode: 400, code: 'FST_ERR_CTP_INVALID_JSON_BODY' }),
        undefined
      )
    }
  })

  app.setErrorHandler((error: FastifyError, _request, reply) => {
    const known = error.code ? CLIENT_ERRORS[error.code] : undefined
    const status = error.statusCode ?? 500
    if (known) return reply.code(status).send({ error: known.error, message: known.message(error) })
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
