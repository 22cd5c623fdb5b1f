import { runPrefix } from './events'
import type { LoadPlan } from './peer-protocol'

export interface PacedLoad {
  origin: string
  /** The Whisperr route's destination id: requests go to /<destination>/v1/events/track. */
  destination: string
  /** Names the run's message ids. */
  label: string
  clients: number
  requestsPerClient: number
  /** Each client's pause between its requests: an open load, as a fleet of kiosks sends. */
  paceMs: number
}

/** Single-event Whisperr track requests from `clients` clients at a steady pace, at most a minute. */
export function pacedTrackPlan(load: PacedLoad): LoadPlan {
  return {
    origin: load.origin,
    path: `/${load.destination}/v1/events/track`,
    eventsPerRequest: 1,
    clients: load.clients,
    requestsPerClient: load.requestsPerClient,
    maxDurationMs: 60_000,
    messageIdPrefix: runPrefix(load.label),
    paceMs: load.paceMs
  }
}
