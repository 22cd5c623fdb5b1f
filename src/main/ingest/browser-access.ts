import { isIP } from 'node:net'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Destination } from '../config'
import type { Connector } from '../connectors/types'

/**
 * What web pages may do with the collector. Apps that are not browsers send no `Origin` and are
 * not concerned; a browser always names the page's origin on a POST, even a no-cors `text/plain`
 * fetch or a `sendBeacon`, which it sends without asking first.
 *
 * - `Host` must name this machine's loopback (or a host the config lists): a page whose own
 *   name was re-pointed at 127.0.0.1 (DNS rebinding) sends its own name, and is answered 421.
 * - An ingest request from a page is taken only from the origins its destination allows; the
 *   admin API and the console only from the collector's own origin (the console is same-origin).
 * - For the allowed origins, preflights are answered and answers carry the CORS headers, so a
 *   browser SDK can POST JSON with its auth header.
 */

/** How long a browser may reuse a preflight's grant (Chromium takes at most 2 hours). */
const PREFLIGHT_MAX_AGE_SECONDS = 3600
/** Headers any vendor's client may send beside its auth headers. */
const COMMON_CLIENT_HEADERS = ['content-type', 'idempotency-key']
/** `localhost`, any address of 127.0.0.0/8, `[::1]`. */
const LOOPBACK_HOST = /^(?:localhost|127(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}|\[::1\])$/
/** Addresses a server listens on that no client sends as a `Host`. */
const WILDCARD_HOSTS = new Set(['0.0.0.0', '[::]'])

/** The name a `Host` header addresses, lowercased, without its port; null when it is not `name[:port]`. */
export function hostNameOf(header: string | undefined): string | null {
  const match = /^(\[[^\]]+\]|[^:[\]]+)(?::\d{1,5})?$/.exec(header ?? '')
  return match ? match[1]!.toLowerCase() : null
}

/** A configured host as it appears in a `Host` header: lowercased, an IPv6 address in brackets. */
function asHostName(host: string): string {
  const name = host.toLowerCase()
  return name.includes(':') && !name.startsWith('[') ? `[${name}]` : name
}

export interface BrowserAccessOptions {
  destinations: readonly Destination[]
  /** Names besides the loopback ones that requests may be addressed to: `ingest.allowedHosts` and the bind address. */
  allowedHosts: readonly string[]
  /**
   * Paths answered whatever IP address the `Host` names (a scraper reaches a fleet's devices by
   * their addresses, which one shared config cannot list). A DNS rebinding sends the page's own
   * name, never an address: a page whose origin is the address would be served by Outpost itself.
   */
  anyAddressPaths?: readonly string[]
}

function isAllowedHost(name: string | null, allowedHosts: ReadonlySet<string>): boolean {
  return name !== null && (LOOPBACK_HOST.test(name) || allowedHosts.has(name))
}

/** An IPv4 address, or an IPv6 one in brackets, as a `Host` names it. */
function isAddress(name: string | null): boolean {
  return name !== null && isIP(name.startsWith('[') ? name.slice(1, -1) : name) !== 0
}

function refuse(reply: FastifyReply, status: number, error: string, message: string) {
  return reply.code(status).send({ error, message })
}

function misdirected(reply: FastifyReply, host: string | undefined) {
  return refuse(
    reply,
    421,
    'misdirected_request',
    `Outpost answers only requests addressed to this machine's loopback (localhost, 127.0.0.1, [::1]) or to a name in the config's ingest.allowedHosts; this one was addressed to ${JSON.stringify(host ?? '')}`
  )
}

/** Every browser origin of a request is refused here unless allowed; nothing of it is read or stored. */
function originRefused(reply: FastifyReply, origin: string, destination: Destination | undefined) {
  if (destination) {
    return refuse(
      reply,
      403,
      'origin_not_allowed',
      `A page on ${origin} may not send to destination "${destination.id}"; to let it, add "${origin}" to that destination's allowedOrigins in the config`
    )
  }
  return refuse(
    reply,
    403,
    'origin_not_allowed',
    `Outpost's admin API and console answer only their own pages, not a page on ${origin}`
  )
}

/** The answer's own headers a page's script may read: Outpost's and `Retry-After`. */
function exposedHeaders(reply: FastifyReply): string {
  return Object.keys(reply.getHeaders())
    .filter((name) => name.startsWith('x-outpost-') || name === 'retry-after')
    .join(', ')
}

function grantOrigin(reply: FastifyReply, origin: string) {
  reply.header('access-control-allow-origin', origin)
  const vary = reply.getHeader('vary')
  reply.header('vary', vary ? `${String(vary)}, Origin` : 'Origin')
  const exposed = exposedHeaders(reply)
  if (exposed) reply.header('access-control-expose-headers', exposed)
}

/** Answers a preflight; the guard has refused it already unless its origin is allowed. */
function answerPreflight(connector: Connector) {
  const allowedHeaders = [...COMMON_CLIENT_HEADERS, ...connector.clientHeaders].join(', ')
  return async (request: FastifyRequest, reply: FastifyReply) => {
    reply.headers({
      'access-control-allow-methods': 'POST',
      'access-control-allow-headers': allowedHeaders,
      'access-control-max-age': String(PREFLIGHT_MAX_AGE_SECONDS)
    })
    // Chromium asks before a public page reaches the loopback (Private Network Access).
    if (request.headers['access-control-request-private-network'] === 'true') {
      reply.header('access-control-allow-private-network', 'true')
    }
    return reply.code(204).send()
  }
}

/** Registers the guard, the preflight routes and the CORS headers; before any other route. */
export function registerBrowserAccess(app: FastifyInstance, options: BrowserAccessOptions): void {
  const allowedHosts = new Set(
    options.allowedHosts.map(asHostName).filter((name) => !WILDCARD_HOSTS.has(name))
  )
  const destinations = new Map(options.destinations.map((destination) => [destination.id, destination]))
  // The matched route's pattern when there is one: `/whisper%72/...` is routed as `/whisperr/...`.
  const destinationOf = (request: FastifyRequest) =>
    destinations.get((request.routeOptions.url ?? request.url).split(/[/?]/)[1] ?? '')
  const anyAddressPaths = new Set(options.anyAddressPaths ?? [])
  const hostAllowed = (request: FastifyRequest) => {
    const name = hostNameOf(request.headers.host)
    if (isAllowedHost(name, allowedHosts)) return true
    return isAddress(name) && anyAddressPaths.has(request.url.split('?')[0] ?? '')
  }
  const allowedOriginOf = (request: FastifyRequest) => {
    const { origin } = request.headers
    return origin !== undefined && destinationOf(request)?.allowedOrigins.includes(origin) ? origin : null
  }

  app.addHook('onRequest', async (request, reply) => {
    const { host, origin } = request.headers
    if (!hostAllowed(request)) return misdirected(reply, host)
    if (origin === undefined) return
    const destination = destinationOf(request)
    const allowed = destination
      ? destination.allowedOrigins.includes(origin)
      : origin.toLowerCase() === `http://${host}`.toLowerCase()
    if (!allowed) return originRefused(reply, origin, destination)
  })

  app.addHook('onSend', async (request, reply, payload) => {
    const origin = allowedOriginOf(request)
    if (origin) grantOrigin(reply, origin)
    return payload
  })

  for (const destination of options.destinations) {
    const { connector } = destination
    for (const route of connector?.routes ?? []) {
      app.options(`/${destination.id}${route.path}`, answerPreflight(connector as Connector))
    }
  }
}
