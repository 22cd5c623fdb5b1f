/** A Whisperr track event as an app's SDK sends it (contract: shared/vendors/README.md, "Whisperr"). */
export interface WhisperrTrackEvent {
  external_user_id: string
  event_type: string
  occurred_at: string
  properties: Record<string, unknown>
  context: { $message_id: string }
}

const EVENT_TYPES = [
  'screen_viewed',
  'feature_used',
  'search_performed',
  'checkout_started',
  'checkout_completed'
]
const SCREENS = ['home', 'catalog/list', 'catalog/item', 'cart', 'checkout/confirm']
const USERS = 500

/**
 * A realistic event (about 420 bytes of JSON): a user id, a snake_case type, a current time and a
 * handful of properties with one nested object, like a kiosk app's events. `sequence` varies the
 * content so no two bodies are byte-identical; `messageId` must be unique per event, or Outpost
 * stores the repeat once and the benchmark would measure deduplication instead of writes.
 */
export function realisticEvent(messageId: string, sequence: number): WhisperrTrackEvent {
  return {
    external_user_id: `user_${String(sequence % USERS).padStart(5, '0')}`,
    event_type: EVENT_TYPES[sequence % EVENT_TYPES.length] as string,
    occurred_at: new Date().toISOString(),
    properties: {
      screen: SCREENS[sequence % SCREENS.length],
      app_version: '4.12.0',
      device_model: 'Lenovo Tab M10 (TB-X606F)',
      locale: 'de-DE',
      session_id: `sess_${Math.floor(sequence / 40)}`,
      items_in_cart: sequence % 7,
      amount_cents: (sequence % 50) * 199,
      currency: 'EUR',
      experiment: { id: 'exp_checkout_v2', variant: sequence % 2 === 0 ? 'control' : 'one_page' }
    },
    context: { $message_id: messageId }
  }
}

/** `count` realistic events whose message ids start with `prefix` (unique per run). */
export function realisticEvents(prefix: string, count: number, firstSequence = 0): WhisperrTrackEvent[] {
  return Array.from({ length: count }, (_, index) => {
    const sequence = firstSequence + index
    return realisticEvent(`${prefix}-${sequence}`, sequence)
  })
}

/** Unique per run and per process, so repeated runs against one upstream never collide. */
export function runPrefix(label: string): string {
  return `${label}-${process.pid}-${Date.now().toString(36)}`
}

/**
 * A Flywheel track body (`{"event": {...}}`, one event) as an app sends it: a user id, a name and
 * flat properties. `sequence` makes every body unique, so that the mock, which has no idempotency
 * key, can tell a second delivery of one event from the next event.
 */
export function realisticFlywheelBody(sequence: number): string {
  const { properties, ...event } = realisticEvent('', sequence)
  const { experiment: _nested, ...flat } = properties
  return JSON.stringify({
    event: {
      event: event.event_type,
      user_id: event.external_user_id,
      properties: { ...flat, sequence }
    }
  })
}
