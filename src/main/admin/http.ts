import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { apiContract, apiMethods, type OutpostApi } from '@shared/api'
import type { EventExports } from '../store/export-stream'
import type { AdminAuth } from './auth'
import { createApiDispatcher, toApiError } from './contract'
import { registerExportDownload } from './exports'

export const SESSION_COOKIE = 'outpost_session'

/** Every refusal is a 401: the caller is not known to be allowed (another origin is refused earlier). */
type Refusal = { error: string; message: string }

const NOT_SIGNED_IN: Refusal = {
  error: 'not_signed_in',
  message:
    'The admin API needs Authorization: Bearer <admin token>, or a console session (open the login link outpost serve printed)'
}
const WRONG_TOKEN: Refusal = {
  error: 'unauthorized',
  message: 'The collector refused that admin token'
}
const SESSION_ENDED: Refusal = {
  error: 'session_ended',
  message:
    'This console session has ended (Outpost restarted): open a new login link, or enter the admin token'
}

function cookieValue(header: string | undefined, name: string): string | null {
  for (const pair of (header ?? '').split(';')) {
    const separator = pair.indexOf('=')
    if (separator > 0 && pair.slice(0, separator).trim() === name) return pair.slice(separator + 1).trim()
  }
  return null
}

/** Why this request may not use the admin API, or null when it may. Reads headers only. */
function refusalOf(request: FastifyRequest, auth: AdminAuth): Refusal | null {
  const authorization = request.headers.authorization
  if (authorization !== undefined) {
    const presented = /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1]
    return presented !== undefined && auth.tokenMatches(presented) ? null : WRONG_TOKEN
  }
  const session = cookieValue(request.headers.cookie, SESSION_COOKIE)
  if (session === null) return NOT_SIGNED_IN
  // A page of another origin cannot ride on the cookie: the browser-access guard refuses any
  // Origin but the collector's own on /api before this hook runs (SameSite alone would let a page
  // on another port of this machine through).
  return auth.isSession(session) ? null : SESSION_ENDED
}

/** An onRequest hook: the caller is checked before fastify reads a byte of the body. */
function authenticate(auth: AdminAuth) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const refusal = refusalOf(request, auth)
    if (refusal) return reply.code(401).send(refusal)
  }
}

function setSessionCookie(reply: FastifyReply, secret: string): FastifyReply {
  // No Max-Age: the browser forgets it when it closes; the collector forgets it when it stops.
  return reply
    .header('set-cookie', `${SESSION_COOKIE}=${secret}; HttpOnly; SameSite=Strict; Path=/`)
    .header('cache-control', 'no-store')
}

/** GET /login?code=…: spends a one-time code for a session cookie, then shows the console. */
function registerLogin(app: FastifyInstance, auth: AdminAuth): void {
  app.route({
    method: 'GET',
    url: '/login',
    // A HEAD (a link preview, a prefetch) must not spend the code.
    exposeHeadRoute: false,
    handler: async (request, reply) => {
      const { code } = request.query as { code?: unknown }
      const secret = typeof code === 'string' ? auth.redeemLoginCode(code) : null
      reply.header('referrer-policy', 'no-referrer')
      if (secret === null) {
        return reply
          .code(401)
          .type('text/plain; charset=utf-8')
          .send(
            'This login link was already used or has expired (a link works once, for 10 minutes).\n' +
              'Get a new one with POST /api/login-link and the admin token, or open / and enter the admin token.\n'
          )
      }
      return setSessionCookie(reply, secret).redirect('/', 303)
    }
  })
}

/**
 * The admin API over HTTP, generated from the same contract as the IPC handlers, the export
 * download, and the routes that give a browser its console session.
 */
export function registerAdminApi(
  app: FastifyInstance,
  service: OutpostApi,
  auth: AdminAuth,
  downloads: { exports: EventExports; now(): number }
): void {
  // Anyone with the admin token: the console does not know who sits in front of it.
  const dispatch = createApiDispatcher(service, { coerce: true, context: { actor: 'web console' } })
  const onRequest = authenticate(auth)
  for (const method of apiMethods) {
    const { http } = apiContract[method]
    if (http === null) continue
    app.route({
      method: http.method,
      url: http.path,
      onRequest,
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const input = {
          ...(request.query as object),
          ...((request.body as object | undefined) ?? {}),
          ...(request.params as object)
        }
        try {
          const value = await dispatch(method, input)
          if (value === undefined) return reply.code(204).send()
          return reply.send(value)
        } catch (error) {
          const { status, error: body } = toApiError(error)
          return reply.code(status).send({ error: body.code, message: body.message, problems: body.problems })
        }
      }
    })
  }
  registerExportDownload(app, { ...downloads, onRequest })
  // The console's token form trades the token for a cookie, so the page never keeps the token.
  app.post('/api/session', { onRequest }, async (_request, reply) =>
    setSessionCookie(reply, auth.openSession()).code(204).send()
  )
  app.post('/api/login-link', { onRequest }, async (_request, reply) =>
    reply.header('cache-control', 'no-store').send({ url: auth.loginLink() })
  )
  registerLogin(app, auth)
}
