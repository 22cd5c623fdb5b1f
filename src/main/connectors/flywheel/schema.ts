import { ajv } from '../validation'

const userId = {
  type: ['string', 'number'],
  minLength: 1,
  'x-hint': 'must be a non-empty string or a number'
}

/** `{"event": {...}}`: the outer wrapper is required, the event's fields are the documented ones. */
export const validateRequest = ajv.compile({
  type: 'object',
  additionalProperties: false,
  required: ['event'],
  properties: {
    event: {
      type: 'object',
      additionalProperties: false,
      required: ['event', 'properties'],
      'x-hint':
        'must be the event object: the body is {"event": {"event": "<name>", "properties": {...}}} (the outer "event" wrapper is required)',
      properties: {
        event: { type: 'string', pattern: '\\S', 'x-hint': 'must name the event (not blank)' },
        user_id: userId,
        org_assigned_user_id: userId,
        anonymous_id: { type: 'string', minLength: 1 },
        identify: { type: 'boolean' },
        properties: {
          type: 'object',
          additionalProperties: {
            type: ['string', 'number', 'boolean'],
            'x-hint': 'must be a string, a number or true/false (a date goes as an ISO 8601 date-time string)'
          }
        }
      }
    }
  }
})
