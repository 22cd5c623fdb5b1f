import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv'
import type { Problem } from './types'

/** One Ajv for every connector: schemas compile once at start, all errors are collected. */
export const ajv = new Ajv({
  allErrors: true,
  verbose: true,
  strict: true,
  strictRequired: false,
  allowUnionTypes: true
})
ajv.addKeyword({ keyword: 'x-hint', schemaType: 'string' })

const TYPE_WORDS: Record<string, string> = {
  object: 'an object ({...})',
  array: 'an array',
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'true or false'
}

/** `/context/$message_id` -> `context.$message_id` */
export function dottedField(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.')
}

function join(parent: string, child: string): string {
  return parent ? `${parent}.${child}` : child
}

/** Turns Ajv's error objects into problems phrased for people. */
export function problemFromAjv(error: ErrorObject, index?: number): Problem {
  const field = dottedField(error.instancePath)
  const hint = (error.parentSchema as { 'x-hint'?: string } | undefined)?.['x-hint']
  const at = index === undefined ? {} : { index }
  switch (error.keyword) {
    case 'required': {
      const missing = (error.params as { missingProperty: string }).missingProperty
      return { ...at, field: join(field, missing), reason: 'is required' }
    }
    case 'additionalProperties': {
      const extra = (error.params as { additionalProperty: string }).additionalProperty
      return {
        ...at,
        field: join(field, extra),
        reason: 'is not a field of this API (unknown fields are rejected)'
      }
    }
    case 'type': {
      const declared = (error.params as { type: string | string[] }).type
      const types = Array.isArray(declared) ? declared : declared.split(',')
      const got = Array.isArray(error.data) ? 'an array' : error.data === null ? 'null' : typeof error.data
      const expected = hint ?? `must be ${types.map((type) => TYPE_WORDS[type] ?? type).join(' or ')}`
      return { ...at, field, reason: `${expected}, got ${got}` }
    }
    case 'pattern':
      return { ...at, field, reason: hint ?? `must match ${(error.params as { pattern: string }).pattern}` }
    case 'minLength':
    case 'maxLength': {
      const limit = (error.params as { limit: number }).limit
      const bound = error.keyword === 'minLength' ? 'at least' : 'at most'
      return { ...at, field, reason: `must be ${bound} ${limit} character${limit === 1 ? '' : 's'} long` }
    }
    case 'minItems':
    case 'maxItems': {
      const limit = (error.params as { limit: number }).limit
      const bound = error.keyword === 'minItems' ? 'at least' : 'at most'
      return { ...at, field, reason: hint ?? `must hold ${bound} ${limit} items` }
    }
    case 'enum':
      return {
        ...at,
        field,
        reason: `must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`
      }
    default:
      return { ...at, field, reason: hint ?? error.message ?? 'is invalid' }
  }
}

export function problemsOf(validate: ValidateFunction, value: unknown, index?: number): Problem[] {
  if (validate(value)) return []
  return (validate.errors ?? []).map((error) => problemFromAjv(error, index))
}

/**
 * Most problems an answer lists, and the most characters of a field or reason it repeats: a body
 * can hold 100,000 unknown fields or a 1 MB field name, and the Rejected view keeps 200 answers.
 */
const MAX_LISTED_PROBLEMS = 100
const MAX_FIELD_TEXT = 200
const MAX_REASON_TEXT = 500

const cut = (text: string, length: number) => (text.length > length ? `${text.slice(0, length)}…` : text)

/** The problems an answer lists: the first ones, each field and reason cut to a readable length. */
export function listedProblems(problems: Problem[]): Problem[] {
  return problems.slice(0, MAX_LISTED_PROBLEMS).map((problem) => ({
    ...problem,
    field: cut(problem.field, MAX_FIELD_TEXT),
    reason: cut(problem.reason, MAX_REASON_TEXT)
  }))
}

/** Formats problems as one sentence, for logs and the `message` of an error body. */
export function describeProblems(problems: Problem[]): string {
  return listedProblems(problems.slice(0, 5))
    .map((p) => `${p.index === undefined ? '' : `event ${p.index}: `}${p.field || 'body'} ${p.reason}`)
    .join('; ')
    .concat(problems.length > 5 ? `; and ${problems.length - 5} more` : '')
}

/** snake_case as the vendors mean it: lowercase letters and digits in words joined by single underscores. */
export const SNAKE_CASE = '^[a-z0-9]+(?:_[a-z0-9]+)*$'
export const SNAKE_CASE_HINT =
  'must be snake_case: lowercase letters and digits in words joined by single underscores, e.g. "trial_started"'
