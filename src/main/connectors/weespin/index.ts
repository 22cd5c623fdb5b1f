import { createHash } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import type { ClaimedEvent } from '../../store'
import { classifyByStatus } from '../http-rules'
import { requestMessageId } from '../message-id'
import type {
  AcceptedEvent,
  Connector,
  DeviceRegistration,
  IngestOutcome,
  IngestRequest,
  Problem
} from '../types'
import { problemsOf } from '../validation'
import { validateEvent, validateRegistration } from './schema'

/**
 * Weespin. Contract: shared/vendors/README.md, "Weespin".
 * - Ingest: /initialize-device and /events/initialize (the same registration), /events.
 * - Offline device registration: a registration is stored like any event and answered at once
 *   in the documented shape with a provisional id `local_<32 hex>` (header
 *   `x-outpost-provisional: true`); when Weespin answers with the real `device_info.device_id`,
 *   every undelivered event of that device is rewritten to it, and later events carrying the
 *   provisional id are rewritten on arrival. Nothing accepted after a registration is sent
 *   before it, so a device's events never overtake its registration; an event whose device
 *   never got a real id fails instead of being sent with the provisional one.
 * - Unknowns, and the safe choice made:
 *   - the registration body is not documented: any JSON object is accepted and sent as is;
 *     every registration is a new one (its own provisional id), unless the client repeats a
 *     request with the same `Idempotency-Key` header, which gets the same id back;
 *   - events carry no id and no time: two equal events are two events, unless sent with the same
 *     `Idempotency-Key`;
 *   - unknown fields on an event are refused (only event_name, device_id, payload, userId exist);
 *     payload keys that name secrets (password, card number, cvv) are refused: the vendor
 *     forbids them;
 *   - the /events answer is not documented: Outpost answers 200 {"success":true}; upstream, any
 *     2xx is delivered; 401/403 auth; 429/5xx retried (Retry-After honoured); other 4xx permanent;
 *   - batching, rate limits, idempotency: none assumed, one event per request.
 */

const PROVISIONAL_PREFIX = 'local_'
const SECRET_KEY = /pass(word|wd)?$|^pwd$|card_?num(ber)?|^cc_?num|^cvv$|^cvc$|^pin$/i

interface WeespinEvent {
  event_name: string
  device_id: string
  userId?: string
  payload?: Record<string, unknown>
}

interface Registration {
  platform?: unknown
  os?: unknown
  userId?: unknown
}

const devices: DeviceRegistration = {
  eventField: 'device_id',
  provisionalIdFor(messageId) {
    // An id Outpost made ends in 32 hex digits already; one made from an Idempotency-Key is hashed to that shape.
    const suffix = messageId.replace(/^weespin_device_/, '')
    const hex = /^[0-9a-f]{32}$/.test(suffix) ? suffix : createHash('sha256').update(messageId).digest('hex')
    return `${PROVISIONAL_PREFIX}${hex.slice(0, 32)}`
  },
  isProvisional: (deviceId) => deviceId.startsWith(PROVISIONAL_PREFIX),
  realIdFrom(answer) {
    try {
      const id = (JSON.parse(answer.body) as { event?: { device_info?: { device_id?: unknown } } }).event
        ?.device_info?.device_id
      return typeof id === 'string' && id.length > 0 ? id : null
    } catch {
      return null
    }
  }
}

function acceptRegistration(request: IngestRequest): IngestOutcome {
  const { body } = request
  const problems = problemsOf(validateRegistration, body)
  if (problems.length) return { ok: false, status: 400, problems }
  const registration = body as Registration
  const event: AcceptedEvent = {
    ...requestMessageId('weespin_device', request),
    kind: 'device',
    name: 'initialize_device',
    userKey: typeof registration.userId === 'string' ? registration.userId : null,
    occurredAt: null,
    payload: request.text.trim(),
    upstreamParams: null
  }
  return {
    ok: true,
    events: [event],
    reply: ({ deviceId }) => ({
      status: 200,
      headers: { 'x-outpost-provisional': String(devices.isProvisional(deviceId ?? '')) },
      body: {
        event: {
          event_name: 'app_installed',
          event_type: 'app_installed',
          device_info: {
            device_id: deviceId,
            platform: registration.platform ?? null,
            os: registration.os ?? null
          },
          location: {}
        }
      }
    })
  }
}

function secretProblems(event: WeespinEvent): Problem[] {
  return Object.keys(event.payload ?? {})
    .filter((key) => SECRET_KEY.test(key))
    .map((key) => ({
      field: `payload.${key}`,
      reason: 'looks like a secret (password, card number, PIN): Weespin payloads must never carry secrets'
    }))
}

function acceptEvent(request: IngestRequest): IngestOutcome {
  const { body } = request
  const problems = problemsOf(validateEvent, body)
  if (problems.length === 0) problems.push(...secretProblems(body as WeespinEvent))
  if (problems.length) return { ok: false, status: 400, problems }
  const event = body as WeespinEvent
  const accepted: AcceptedEvent = {
    ...requestMessageId('weespin', request),
    kind: 'track',
    name: event.event_name,
    userKey: event.userId ?? event.device_id,
    occurredAt: null,
    payload: request.text.trim(),
    upstreamParams: null
  }
  return { ok: true, events: [accepted], reply: () => ({ status: 200, body: { success: true } }) }
}

export const weespin: Connector = {
  vendor: 'weespin',
  label: 'Weespin',
  defaultBaseUrl: 'https://developer.weespin.io',
  apiKeyEnv: 'WEESPIN_API_KEY',
  routes: [
    { path: '/initialize-device', accept: acceptRegistration },
    { path: '/events/initialize', accept: acceptRegistration },
    { path: '/events', accept: acceptEvent }
  ],
  editRoutes: { device: '/initialize-device', track: '/events' },
  clientKey: (headers: IncomingHttpHeaders) => headers.authorization,
  clientHeaders: ['authorization'],
  keyHeaders: (key) => ({ Authorization: key }),
  example: () => ({
    path: '/events',
    body: JSON.stringify({
      event_name: 'add_to_cart',
      device_id: 'ws_device_example',
      userId: 'user_123',
      payload: { product_id: 'sku_42', price: 19.99, in_stock: true }
    })
  }),
  batchLimit: () => 1,
  buildRequest(events: ClaimedEvent[], { apiKey }) {
    const [event] = events as [ClaimedEvent]
    return {
      path: event.kind === 'device' ? '/initialize-device' : '/events',
      headers: { 'content-type': 'application/json', authorization: apiKey },
      body: event.payload
    }
  },
  classifyResponse: (answer, _batchSize, now) => classifyByStatus('Weespin', answer, now),
  devices
}
