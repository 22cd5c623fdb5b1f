import type { NewEvent } from '../../src/main/store'

/** An event as ingest hands it to the outbox: a Whisperr track of user u1, unless overridden. */
export function newEvent(messageId: string, overrides: Partial<NewEvent> = {}): NewEvent {
  return {
    destination: 'whisperr',
    messageId,
    kind: 'track',
    name: 'trial_started',
    userKey: 'u1',
    occurredAt: 1_000,
    payload: JSON.stringify({ event_type: 'trial_started', context: { $message_id: messageId } }),
    upstreamParams: null,
    ...overrides
  }
}
