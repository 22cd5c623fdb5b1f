import type { RequestPreview, UpstreamRequestPreview } from '@shared/model'
import type { Destination } from '../config'
import type { Connector } from '../connectors/types'
import type { EditTarget } from '../store/corrections'
import { maskSecret } from '../sync/attempt-exchange'
import { upstreamHeaders } from '../sync/transport'

/** The event's request cannot be built: delivery would fail it with the same reason. */
export class UnbuildableRequestError extends Error {
  override name = 'UnbuildableRequestError'
}

/** The vendor's connector; a NATS destination publishes messages, it builds no HTTP request. */
function connectorOf(destination: Destination): Connector {
  if (destination.connector) return destination.connector
  throw new UnbuildableRequestError(
    `${destination.label} publishes each event's stored payload as one message (subject from nats.subject, headers Outpost-*), not an HTTP request: the stream's consumers read it as stored`
  )
}

/**
 * Stands in for the key while the request is built: wherever the connector writes the key, this
 * text lands, so masking never has to guess where the key is (or mistake a short key for part
 * of a URL).
 */
const KEY_STAND_IN = '\u0000outpost-vendor-key\u0000'

function replaceAll(text: string, standIn: string, value: string): string {
  return text.split(standIn).join(value)
}

function withKeyText(request: RequestPreview, keyText: string): RequestPreview {
  const headers = Object.fromEntries(
    Object.entries(request.headers).map(([name, value]) => [name, replaceAll(value, KEY_STAND_IN, keyText)])
  )
  return {
    ...request,
    url: replaceAll(request.url, KEY_STAND_IN, keyText),
    headers,
    body: request.body === null ? null : replaceAll(request.body, KEY_STAND_IN, keyText)
  }
}

function build(destination: Destination, event: EditTarget, apiKey: string): RequestPreview {
  const { baseUrl } = destination
  const connector = connectorOf(destination)
  try {
    const built = connector.buildRequest([event], { apiKey })
    return {
      method: 'POST',
      url: baseUrl + built.path,
      headers: upstreamHeaders(built.headers),
      body: built.body,
      notes: []
    }
  } catch (error) {
    throw new UnbuildableRequestError(
      `Outpost could not build the ${connector.label} request: ${(error as Error).message}`
    )
  }
}

function deliveryNotes(destination: Destination, event: EditTarget): string[] {
  const connector = connectorOf(destination)
  const notes: string[] = []
  if (connector.batchLimit(event.kind) > 1 && destination.batchSize > 1) {
    notes.push(
      `Delivery sends this event together with other waiting ${event.kind} events, up to ${destination.batchSize} a request: this is that request carrying this event alone.`
    )
  }
  const deviceId =
    connector.devices && (JSON.parse(event.payload) as Record<string, unknown>)[connector.devices.eventField]
  if (typeof deviceId === 'string' && connector.devices?.isProvisional(deviceId)) {
    notes.push(
      `Its device ${deviceId} has no ${connector.label} id yet: delivery sends it only after the device's registration succeeds, with the real id in its place.`
    )
  }
  return notes
}

/**
 * The request delivery sends upstream for this one event: the connector builds it exactly as the
 * worker does (its path on the destination's base URL, its headers with the transport's, the
 * body), then the key is masked unless the person asked for it.
 */
export function upstreamRequestPreview(
  destination: Destination,
  event: EditTarget,
  revealKey: boolean
): UpstreamRequestPreview {
  const notes = deliveryNotes(destination, event)
  const { apiKey } = destination
  if (apiKey === null) {
    const request = withKeyText(build(destination, event, KEY_STAND_IN), '<no key set>')
    notes.push('This destination has no vendor key: delivery holds its events until one is set.')
    return { ...request, notes, key: 'missing' }
  }
  if (revealKey) return { ...build(destination, event, apiKey), notes, key: 'revealed' }
  const masked = withKeyText(build(destination, event, KEY_STAND_IN), maskSecret(apiKey))
  return { ...masked, notes, key: 'masked' }
}

/**
 * The request an app sends Outpost for this event, rebuilt: the route that takes one event of its
 * kind (the one an edit goes through), its path parameters and query as stored with the event,
 * and the payload as received. The app may have sent it in a batch, and with headers of its own.
 */
export function ingestRequestPreview(
  collectorUrl: string,
  destination: Destination,
  event: EditTarget
): RequestPreview {
  const connector = connectorOf(destination)
  const route = connector.editRoutes[event.kind]
  if (route === undefined) {
    throw new UnbuildableRequestError(`${connector.label} has no route that takes one ${event.kind} event`)
  }
  // Path parameters (Embeddables' projectId) and query parameters (UserFlux's
  // locationEnrichment) are stored in one object; the route's pattern says which are which.
  const parameters = JSON.parse(event.upstreamParams ?? '{}') as Record<string, string>
  const query = new URLSearchParams(parameters)
  const path = route.replace(/:(\w+)/g, (_, name: string) => {
    query.delete(name)
    return encodeURIComponent(parameters[name] ?? '')
  })
  const search = query.toString() === '' ? '' : `?${query.toString()}`
  const notes =
    destination.ingestKeys.length > 0
      ? [
          `This destination takes only requests with an ingest key: add it in the header your app sends it in (${connector.clientHeaders.join(' or ')}).`
        ]
      : []
  return {
    method: 'POST',
    url: `${collectorUrl}/${encodeURIComponent(destination.id)}${path}${search}`,
    headers: { 'content-type': 'application/json' },
    body: event.receivedPayload,
    notes
  }
}
