import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { apiContract, apiMethods, type OutpostApi } from '@shared/api'
import { consoleActor, PERSON_HEADER, personNameProblem } from '@shared/person'
import type { EventExports } from '../store/export-stream'
import type { AdminAuth } from './auth'
import { createApiDispatcher, toApiError } from './contract'
import { registerExportDownload } from './exports'
import { registerImportUpload, type EventImports } from './imports'

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

type PersonHeader = { ok: true; name: string | null } | { ok: false; message: string }

/** The name the console's person gave (PERSON_HEADER), checked: it is written into the history. */
function personOf(request: FastifyRequest): PersonHeader {
  const header = request.headers[PERSON_HEADER]
  if (header === undefined) return { ok: true, name: null }
  const refused = (problem: string): PersonHeader => ({
    ok: false,
    message: `The ${PERSON_HEADER} header (the name recorded with what you change) ${problem}`
  })
  if (typeof header !== 'string') return refused('was sent more than once')
  let name: string
  try {
    name = decodeURIComponent(header)
  } catch {
    return refused('must be percent-encoded UTF-8 (encodeURIComponent)')
  }
  const problem = personNameProblem(name)
  return problem === null ? { ok: true, name: name.trim() } : refused(problem)
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
 * download and the import upload, and the routes that give a browser its console session.
 */
export function registerAdminApi(
  app: FastifyInstance,
  service: OutpostApi,
  auth: AdminAuth,
  files: { exports: EventExports; imports: EventImports; now(): number }
): void {
  // Anyone with the admin token: who sits in front of the console is only what its person said.
  const dispatch = createApiDispatcher(service, { coerce: true, context: { actor: consoleActor(null) } })
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
        const person = personOf(request)
        if (!person.ok) return reply.code(400).send({ error: 'invalid_input', message: person.message })
        try {
          const value = await dispatch(method, input, { actor: consoleActor(person.name) })
          if (value === undefined) return reply.code(204).send()
          return reply.send(value)
        } catch (error) {
          const { status, error: body } = toApiError(error)
          return reply.code(status).send({ error: body.code, message: body.message, problems: body.problems })
        }
      }
    })
  }
  registerExportDownload(app, { exports: files.exports, now: files.now, onRequest })
  registerImportUpload(app, { imports: files.imports, onRequest })
  // The console's token form trades the token for a cookie, so the page never keeps the token.
  app.post('/api/session', { onRequest }, async (_request, reply) =>
    setSessionCookie(reply, auth.openSession()).code(204).send()
  )
  app.post('/api/login-link', { onRequest }, async (_request, reply) =>
    reply.header('cache-control', 'no-store').send({ url: auth.loginLink() })
  )
  registerLogin(app, auth)
}
