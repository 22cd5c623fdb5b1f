import type { Destination } from '../config'
import type { CopiesOf, NewEvent } from '../store'

/**
 * Fan-out: a NATS destination lists the vendor destinations it is fed by (`feeds`); each event one
 * of them accepts is stored once more, for the NATS destination, in the same transaction (one row
 * per event and destination), so the vendor and the stream deliver it independently.
 *
 * The copy's message id is the feeding route's id, `:`, and the event's own message id: two routes
 * feeding one stream may both see an id (a $message_id, an Idempotency-Key), and a row per
 * (destination, message id) must not merge two events. A route id has no `:`, so the first one
 * splits it back. Its upstream parameters say where it came from: `{"route", "vendor", "params"}`
 * (`params` the route's own, an Embeddables project or UserFlux's query, or null).
 */

export interface FedOrigin {
  route: string
  vendor: string
  params: Record<string, string> | null
}

/** The copy of `event`, accepted by the route `from`, for the NATS destination `to`. */
export function copyFor(event: NewEvent, from: Destination, to: string): NewEvent {
  const origin: FedOrigin = {
    route: from.id,
    vendor: from.vendor,
    params:
      event.upstreamParams === null ? null : (JSON.parse(event.upstreamParams) as Record<string, string>)
  }
  return {
    ...event,
    destination: to,
    messageId: `${from.id}:${event.messageId}`,
    upstreamParams: JSON.stringify(origin),
    // The event itself was checked against the key; its copy follows it.
    keyedByRequest: false
  }
}

/** The message id the feeding route gave the event, and the route, from a copy's message id. */
export function originalMessageId(copyMessageId: string): { route: string; messageId: string } {
  const colon = copyMessageId.indexOf(':')
  return { route: copyMessageId.slice(0, colon), messageId: copyMessageId.slice(colon + 1) }
}

/** Where a copy came from, read from its upstream parameters. */
export function fedOriginOf(upstreamParams: string | null): FedOrigin | null {
  if (upstreamParams === null) return null
  const parsed = JSON.parse(upstreamParams) as Partial<FedOrigin>
  return typeof parsed.route === 'string' && typeof parsed.vendor === 'string' ? (parsed as FedOrigin) : null
}

/** The copies every accepted event gets, by the destinations' `copiesTo`; none when nothing is fed. */
export function copiesOf(destinations: Destination[]): CopiesOf | undefined {
  const feeding = new Map(
    destinations.filter((destination) => destination.copiesTo.length > 0).map((d) => [d.id, d])
  )
  if (feeding.size === 0) return undefined
  return (event) => {
    const from = feeding.get(event.destination)
    return from ? from.copiesTo.map((to) => copyFor(event, from, to)) : []
  }
}

/** The destinations a commit wakes: those that got events, and those fed by them. */
export function withFedDestinations(destinations: Destination[], ids: Set<string>): Set<string> {
  const woken = new Set(ids)
  for (const destination of destinations) {
    if (ids.has(destination.id)) for (const to of destination.copiesTo) woken.add(to)
  }
  return woken
}
