import type { EventKind } from '@shared/model'
import { parseJsonText } from './json-text'
import type { AcceptedEvent, Connector, Problem } from './types'

export interface StoredEvent {
  kind: EventKind
  /** The request parameters the accepting route read (path or query), as stored with the event. */
  upstreamParams: string | null
}

export type EditOutcome = { ok: true; event: AcceptedEvent } | { ok: false; problems: Problem[] }

/**
 * Runs an edited payload (JSON text, kept as the person wrote it) through the route that accepts
 * one event of its kind, with the request parameters the original came with, so an edit is held
 * to exactly the client's rules and gives the name and user the list shows.
 */
export function acceptEdited(
  connector: Connector,
  stored: StoredEvent,
  payload: string,
  now: number
): EditOutcome {
  const parsed = parseJsonText(payload)
  if (!parsed.ok) return { ok: false, problems: [{ field: '', reason: `is not valid: ${parsed.reason}` }] }
  const path = connector.editRoutes[stored.kind]
  const route = connector.routes.find((candidate) => candidate.path === path)
  if (!route) {
    return {
      ok: false,
      problems: [{ field: '', reason: `${connector.label} ${stored.kind} events cannot be edited` }]
    }
  }
  // Stored parameters were read from the path (Embeddables' projectId) or the query (UserFlux's
  // locationEnrichment); each route reads only its own, so one object serves as both.
  const parameters = JSON.parse(stored.upstreamParams ?? '{}') as Record<string, string>
  const outcome = route.accept({
    body: parsed.value,
    text: payload,
    params: parameters,
    query: parameters,
    now
  })
  if (!outcome.ok) return { ok: false, problems: outcome.problems }
  const [event] = outcome.events
  if (!event || outcome.events.length !== 1) {
    return { ok: false, problems: [{ field: '', reason: 'must be exactly one event' }] }
  }
  return { ok: true, event }
}
