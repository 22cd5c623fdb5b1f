import type { DeviceRegistration, AcceptedEvent } from '../connectors/types'

/** Looks up the vendor's id of a provisional device id; null while unknown. */
export type RealDeviceId = (provisionalId: string) => string | null

/**
 * An event that arrives with a provisional device id whose real id is already known is stored
 * with the real one (its received payload keeps what the client sent).
 */
export function withKnownDeviceIds(
  events: AcceptedEvent[],
  devices: DeviceRegistration,
  realIdOf: RealDeviceId
): AcceptedEvent[] {
  return events.map((event) => {
    const payload = JSON.parse(event.payload) as Record<string, unknown>
    const deviceId = payload[devices.eventField]
    if (typeof deviceId !== 'string' || !devices.isProvisional(deviceId)) return event
    const realId = realIdOf(deviceId)
    if (!realId) return event
    return {
      ...event,
      receivedPayload: event.payload,
      payload: JSON.stringify({ ...payload, [devices.eventField]: realId })
    }
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
