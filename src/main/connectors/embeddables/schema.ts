import { ajv, SNAKE_CASE, SNAKE_CASE_HINT } from '../validation'

/**
 * The event body's shape. What ajv cannot judge is checked in code: the timestamp's calendar,
 * and the JSON held inside `custom_event_props` and the identifier's `value`.
 */
export const validateEvent = ajv.compile({
  type: 'object',
  additionalProperties: false,
  required: ['embeddable_id', 'timestamp', 'custom_event_name', 'custom_event_props', 'identifiers'],
  properties: {
    embeddable_id: { type: 'string', minLength: 1 },
    timestamp: { type: 'string' },
    custom_event_name: { type: 'string', pattern: SNAKE_CASE, 'x-hint': SNAKE_CASE_HINT },
    custom_event_props: {
      type: 'string',
      'x-hint':
        'must be a string holding a JSON object, e.g. "{\\"my_prop\\": \\"my_val\\"}" (encode the object with JSON.stringify)'
    },
    identifiers: {
      type: 'array',
      minItems: 1,
      maxItems: 1,
      'x-hint': 'must be an array holding exactly one {"key", "value"} identifier',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['key', 'value'],
        properties: {
          key: { type: 'string', minLength: 1 },
          value: {
            type: 'string',
            'x-hint':
              'must be a string holding a JSON-encoded value, e.g. "\\"test@test.com\\"" (quotes included)'
          }
        }
      }
    }
  }
})
