import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { MetricsConfig } from '../config'
import { readinessAnswer, type Readiness } from './readiness'
import type { OutpostMetrics } from './registry'

/** A peer's address on this machine: 127.0.0.0/8, ::1, or an IPv4 loopback mapped to IPv6. */
const LOOPBACK_PEER = /^(?:127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/

export function isLoopbackPeer(address: string | undefined): boolean {
  return address !== undefined && LOOPBACK_PEER.test(address)
}

/** The three paths, which the browser-access guard answers whatever IP address the `Host` names. */
export const METRICS_PATHS = ['/metrics', '/healthz', '/readyz']

export interface MetricsRoutesOptions {
  config: MetricsConfig
  metrics: OutpostMetrics
  readiness: Readiness
}

/**
 * `GET /metrics`, `/healthz` and `/readyz`: no admin token (a scraper holds none), and with
 * `metrics.allowFrom: 'loopback'` (the default) answered only to peers on this machine, whatever
 * address ingest listens on. The browser-access guard runs before them as before every route:
 * Prometheus sends no `Origin`; its `Host` is the address scraped, which the guard takes for these
 * paths (METRICS_PATHS), and a name a DNS rebinding would send is answered 421 as anywhere.
 */
export function registerMetricsRoutes(app: FastifyInstance, options: MetricsRoutesOptions): void {
  if (!options.config.enabled) return
  const peerAllowed = async (request: FastifyRequest, reply: FastifyReply) => {
    if (options.config.allowFrom === 'any' || isLoopbackPeer(request.socket.remoteAddress)) return
    return reply.code(403).send({
      error: 'metrics_not_allowed',
      message:
        'Outpost answers /metrics, /healthz and /readyz only to this machine; to let other machines scrape it, set "metrics": { "allowFrom": "any" } in the config'
    })
  }
  app.get('/metrics', { onRequest: peerAllowed }, async (_request, reply) => {
    const text = await options.metrics.render()
    return reply.type(options.metrics.contentType).send(text)
  })
  app.get('/healthz', { onRequest: peerAllowed }, async (_request, reply) => reply.send({ status: 'ok' }))
  app.get('/readyz', { onRequest: peerAllowed }, async (_request, reply) => {
    const answer = readinessAnswer(options.readiness.problems())
    return reply.code(answer.status).send(answer.body)
  })
}

/** Counts every answer of a destination's ingest routes by status code (an `onResponse` hook: after the answer left). */
export function observeIngestAnswers(
  app: FastifyInstance,
  destinationIds: ReadonlySet<string>,
  metrics: OutpostMetrics
): void {
  app.addHook('onResponse', async (request, reply) => {
    if (request.method !== 'POST') return
    const route = request.routeOptions.url
    if (route === undefined) return
    const destination = route.split('/')[1] ?? ''
    if (destinationIds.has(destination)) metrics.ingestAnswered(destination, reply.statusCode)
  })
}
