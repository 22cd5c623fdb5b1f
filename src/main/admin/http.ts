import { timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { apiContract, apiMethods, type OutpostApi } from '@shared/api'
import { createApiDispatcher, toApiError } from './contract'

function tokenMatches(header: string | undefined, token: string): boolean {
  const presented = /^Bearer\s+(.+)$/i.exec(header ?? '')?.[1] ?? ''
  const a = Buffer.from(presented)
  const b = Buffer.from(token)
  return a.length === b.length && timingSafeEqual(a, b)
}

/** The admin API over HTTP, generated from the same contract as the IPC handlers. */
export function registerAdminApi(app: FastifyInstance, service: OutpostApi, adminToken: string): void {
  // Anyone with the admin token: the console does not know who sits in front of it.
  const dispatch = createApiDispatcher(service, { coerce: true, context: { actor: 'web console' } })
  for (const method of apiMethods) {
    const { http } = apiContract[method]
    app.route({
      method: http.method,
      url: http.path,
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        if (!tokenMatches(request.headers.authorization, adminToken)) {
          return reply.code(401).send({
            error: 'unauthorized',
            message: 'The admin API needs Authorization: Bearer <admin token>'
          })
        }
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
}
