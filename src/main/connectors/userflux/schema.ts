import { ajv } from '../validation'

/** The fields the contract defines on an event; any other field is forwarded unchanged. */
export const EVENT_FIELDS = [
  'userId',
  'anonymousId',
  'name',
  'timestamp',
  'properties',
  'externalId',
  'sessionId',
  'deviceData'
] as const

/** The fields the contract defines on a profile (identify) call. */
export const PROFILE_FIELDS = ['userId', 'anonymousId', 'properties', 'deviceData'] as const

/** A user id: a non-empty string, or null for "not given" (the official SDKs send null). */
const userId = { type: ['string', 'null'], minLength: 1 }

const properties = { type: 'object', 'x-hint': 'must be an object ({} when empty)' }

// Null is what the official SDKs send when they collect no device data.
const deviceData = { type: ['object', 'null'] }

// No `additionalProperties: false`: unknown event fields are forwarded (see the connector's doc).
export const validateEvent = ajv.compile({
  type: 'object',
  required: ['name', 'timestamp', 'properties'],
  properties: {
    userId,
    anonymousId: userId,
    name: {
      type: 'string',
      pattern: '^\\S+$',
      'x-hint': 'must be a non-empty name without spaces or other whitespace, e.g. "signup_completed"'
    },
    // Whole milliseconds and a plausible range are checked in code, with words about seconds.
    timestamp: {
      type: 'number',
      'x-hint': 'must be epoch milliseconds as a JSON number, e.g. 1718366400000'
    },
    properties,
    externalId: { type: ['string', 'null'] },
    sessionId: { type: ['string', 'null'] },
    deviceData
  }
})

export const validateProfile = ajv.compile({
  type: 'object',
  required: ['properties'],
  properties: { userId, anonymousId: userId, properties, deviceData }
})

/** Outpost rebuilds the batch envelope upstream, so it cannot carry fields other than `events`. */
export const validateBatch = ajv.compile({
  type: 'object',
  additionalProperties: false,
  required: ['events'],
  properties: {
    events: { type: 'array', minItems: 1, 'x-hint': 'must be an array of 1 or more events' }
  }
})
