import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Destination } from '../config'
import type { Connector, IngestRoute } from '../connectors/types'
import { describeProblems, listedProblems } from '../connectors/validation'
import { storageFailure } from '../store/storage-errors'
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

const MAX_IDEMPOTENCY_KEY_LENGTH = 255
/** Visible ASCII but quotes, as a header carries it; the draft standard's quoted form is taken too. */
const IDEMPOTENCY_KEY = /^(?:"([\x21\x23-\x7e]+)"|([\x21\x23-\x7e]+))$/

type KeyHeader = { ok: true; key?: string } | { ok: false; reason: string }

/** The request's `Idempotency-Key` header (IETF draft, the form Stripe and others use). */
function idempotencyKeyOf(request: FastifyRequest): KeyHeader {
  const header = request.headers['idempotency-key']
  if (header === undefined) return { ok: true }
  const match = typeof header === 'string' ? IDEMPOTENCY_KEY.exec(header) : null
  const key = match?.[1] ?? match?.[2]
  if (key === undefined || key.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    return {
      ok: false,
      reason: `must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} visible ASCII characters, sent once (e.g. a UUID)`
    }
  }
  return { ok: true, key }
}

function refuse(reply: FastifyReply, status: number, error: string, message: string, extra: object = {}) {
  return reply.code(status).send({ error, message, ...extra })
}

function handlerFor(destination: Destination, connector: Connector, route: IngestRoute, deps: IngestDeps) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const keys = destination.ingestKeys
    if (keys.length > 0) {
      const key = connector.clientKey(request.headers)
      if (!key || !keys.includes(key)) {
        return refuse(
          reply,
          401,
          'unauthorized',
          `This collector needs an ingest key in the ${connector.label} auth header`
        )
      }
    }
    const idempotency = idempotencyKeyOf(request)
    if (!idempotency.ok) {
      const problems = [{ field: 'Idempotency-Key', reason: idempotency.reason }]
      return refuse(reply, 400, 'invalid_request', describeProblems(problems), { errors: problems })
    }
    const outcome = route.accept({
      body: request.body,
      text: request.rawBody ?? '',
      idempotencyKey: idempotency.key,
      params: request.params as Record<string, string>,
      query: request.query as Record<string, string | undefined>,
      now: deps.now()
    })
    if (!outcome.ok) {
      return refuse(reply, outcome.status, 'invalid_request', describeProblems(outcome.problems), {
        errors: listedProblems(outcome.problems)
      })
    }
    const { devices } = connector
    const realIdOf = (provisionalId: string) => deps.realDeviceId(destination.id, provisionalId)
    const events = devices ? withKnownDeviceIds(outcome.events, devices, realIdOf) : outcome.events
    try {
      const result = await deps.writer.write(
        events.map((event) => ({ ...event, destination: destination.id }))
      )
      if (result.keyReused) {
        return refuse(
          reply,
          422,
          'idempotency_key_reused',
          `Idempotency-Key ${JSON.stringify(idempotency.key)} was used before with a different body; nothing was stored. Send a new request with a new key.`
        )
      }
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
      const storage = storageFailure(error)
      if (storage) {
        reply.header('retry-after', String(storage.retryAfterSeconds))
        return refuse(reply, 503, storage.error, storage.message)
      }
      throw error
    }
  }
}

/** Mounts each destination's vendor routes under `/{destinationId}`, in the vendor's own paths. */
export function registerIngestRoutes(app: FastifyInstance, deps: IngestDeps): void {
  for (const destination of deps.destinations) {
    // A NATS destination has no routes: it gets its events from the destinations it is fed by.
    const { connector } = destination
    if (!connector) continue
    for (const route of connector.routes) {
      app.post(`/${destination.id}${route.path}`, handlerFor(destination, connector, route, deps))
    }
  }
}
