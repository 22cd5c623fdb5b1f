let sequence = 0

/** A valid Whisperr event with a fresh message id, occurring now. */
export function whisperrEvent(overrides: Record<string, unknown> = {}) {
  sequence++
  return {
    external_user_id: `user_${sequence % 7}`,
    event_type: 'feature_used',
    occurred_at: new Date().toISOString(),
    properties: { n: sequence },
    context: { $message_id: `msg-${process.pid}-${sequence}-${Math.random().toString(36).slice(2, 8)}` },
    ...overrides
  }
}

export const messageIdOf = (event: { context: { $message_id: string } }) => event.context.$message_id
