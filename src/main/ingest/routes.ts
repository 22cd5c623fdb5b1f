import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Destination } from '../config'
import type { IngestRoute } from '../connectors/types'
import { describeProblems } from '../connectors/validation'
import { OutboxFullError, type GroupCommitWriter } from './group-commit'
import { registrationDeviceId, withKnownDeviceIds } from './devices'

export interface IngestDeps {
  destinations: Destination[]
  writer: GroupCommitWriter
  now(): number
  realDeviceId(destination: string, provisionalId: string): string | null
  /** Resolves with the vendor's id of a fresh registration if it comes quickly, else null. */
  awaitRealDeviceId(destination: string, provisionalId: string): Promise<string | null>
}

const MAX_JSON_DEPTH = 32

function depthExceeds(value: unknown, limit: number): boolean {
  if (limit < 0) return true
  if (value === null || typeof value !== 'object') return false
  return Object.values(value).some((child) => depthExceeds(child, limit - 1))
}

function refuse(reply: FastifyReply, status: number, error: string, message: string, extra: object = {}) {
  return reply.code(status).send({ error, message, ...extra })
}

function handlerFor(destination: Destination, route: IngestRoute, deps: IngestDeps) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const keys = destination.ingestKeys
    if (keys.length > 0) {
      const key = destination.connector.clientKey(request.headers)
      if (!key || !keys.includes(key)) {
        return refuse(
          reply,
          401,
          'unauthorized',
          `This collector needs an ingest key in the ${destination.connector.label} auth header`
        )
      }
    }
    if (depthExceeds(request.body, MAX_JSON_DEPTH)) {
      return refuse(reply, 400, 'too_deep', `The JSON body nests deeper than ${MAX_JSON_DEPTH} levels`)
    }
    const outcome = route.accept({
      body: request.body,
      params: request.params as Record<string, string>,
      query: request.query as Record<string, string | undefined>,
      now: deps.now()
    })
    if (!outcome.ok) {
      return refuse(reply, outcome.status, 'invalid_request', describeProblems(outcome.problems), {
        errors: outcome.problems
      })
    }
    const { devices } = destination.connector
    const realIdOf = (provisionalId: string) => deps.realDeviceId(destination.id, provisionalId)
    const events = devices ? withKnownDeviceIds(outcome.events, devices, realIdOf) : outcome.events
    try {
      const result = await deps.writer.write(
        events.map((event) => ({ ...event, destination: destination.id }))
      )
      let deviceId = devices ? registrationDeviceId(events, devices, realIdOf) : undefined
      if (devices && deviceId && devices.isProvisional(deviceId)) {
        deviceId = (await deps.awaitRealDeviceId(destination.id, deviceId)) ?? deviceId
      }
      const answer = outcome.reply({ ...result, deviceId })
      reply.header('x-outpost-duplicates', String(result.duplicates))
      if (answer.headers) reply.headers(answer.headers)
      return reply.code(answer.status).send(answer.body)
    } catch (error) {
      if (error instanceof OutboxFullError) {
        reply.header('retry-after', String(error.retryAfterSeconds))
        return refuse(reply, 503, 'outbox_full', error.message)
      }
      throw error
    }
  }
}

/** Mounts each destination's vendor routes under `/{destinationId}`, in the vendor's own paths. */
export function registerIngestRoutes(app: FastifyInstance, deps: IngestDeps): void {
  for (const destination of deps.destinations) {
    for (const route of destination.connector.routes) {
      app.post(`/${destination.id}${route.path}`, handlerFor(destination, route, deps))
    }
  }
}
