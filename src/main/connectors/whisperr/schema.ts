import { ajv } from '../validation'

const userId = { type: 'string', minLength: 1, maxLength: 128 }

export const MAX_BATCH = 500

const eventSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['event_type', 'occurred_at', 'context'],
  properties: {
    external_user_id: userId,
    anonymous_id: userId,
    event_type: {
      type: 'string',
      pattern: '^[a-z0-9]+(?:_[a-z0-9]+)*$',
      'x-hint':
        'must be snake_case: lowercase letters and digits in words joined by single underscores, e.g. "trial_started"'
    },
    // Format and time window are checked in code: they need the clock and a real calendar.
    occurred_at: { type: 'string' },
    properties: { type: 'object' },
    context: {
      type: 'object',
      required: ['$message_id'],
      properties: { $message_id: { type: 'string', minLength: 1, maxLength: 1024 } }
    }
  }
}

export const validateEvent = ajv.compile(eventSchema)

export const validateBatch = ajv.compile({
  type: 'object',
  additionalProperties: false,
  required: ['events'],
  properties: {
    events: {
      type: 'array',
      minItems: 1,
      maxItems: MAX_BATCH,
      'x-hint': `must hold between 1 and ${MAX_BATCH} events`
    }
  }
})

const channel = { enum: ['email', 'sms', 'push'] }

export const validateIdentify = ajv.compile({
  type: 'object',
  additionalProperties: false,
  properties: {
    external_user_id: userId,
    anonymous_id: userId,
    traits: { type: 'object' },
    preferred_channel: channel,
    channels: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['channel', 'address'],
        properties: {
          channel,
          address: { type: 'string', minLength: 1 },
          opted_in: { type: 'boolean' },
          verified: { type: 'boolean' }
        }
      }
    }
  }
})
