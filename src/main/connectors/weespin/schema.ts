import { ajv } from '../validation'

export const validateRegistration = ajv.compile({ type: 'object' })

export const validateEvent = ajv.compile({
  type: 'object',
  additionalProperties: false,
  required: ['event_name', 'device_id'],
  properties: {
    event_name: { type: 'string', pattern: '\\S', 'x-hint': 'must not be empty or blank' },
    device_id: { type: 'string', minLength: 1 },
    userId: { type: 'string', minLength: 1 },
    payload: {
      type: 'object',
      additionalProperties: {
        type: ['string', 'number', 'boolean'],
        'x-hint': 'must be a string, an integer, a double or a boolean (Weespin payload values are flat)'
      }
    }
  }
})
