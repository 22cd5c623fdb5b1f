import { applyEdits, modify } from 'jsonc-parser'
import type { DeviceRegistration, AcceptedEvent } from '../connectors/types'

/** Looks up the vendor's id of a provisional device id; null while unknown. */
export type RealDeviceId = (provisionalId: string) => string | null

/**
 * An event that arrives with a provisional device id whose real id is already known is stored
 * with the real one; its received payload keeps what the client sent, so a tester still sees
 * (and finds) the id the app used. Only that field's text changes: every other value keeps the
 * client's own text.
 */
export function withKnownDeviceIds(
  events: AcceptedEvent[],
  devices: DeviceRegistration,
  realIdOf: RealDeviceId
): AcceptedEvent[] {
  return events.map((event) => {
    const deviceId = (JSON.parse(event.payload) as Record<string, unknown>)[devices.eventField]
    if (typeof deviceId !== 'string' || !devices.isProvisional(deviceId)) return event
    const realId = realIdOf(deviceId)
    if (!realId) return event
    const edits = modify(event.payload, [devices.eventField], realId, {})
    return { ...event, receivedPayload: event.payload, payload: applyEdits(event.payload, edits) }
  })
}

/** The id to answer a registration with: the vendor's once known, the provisional one before. */
export function registrationDeviceId(
  events: AcceptedEvent[],
  devices: DeviceRegistration,
  realIdOf: RealDeviceId
): string | undefined {
  const registration = events.find((event) => event.kind === 'device')
  if (!registration) return undefined
  const provisionalId = devices.provisionalIdFor(registration.messageId)
  return realIdOf(provisionalId) ?? provisionalId
}
