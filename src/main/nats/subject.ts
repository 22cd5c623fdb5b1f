import { createHash } from 'node:crypto'

/**
 * Subjects of a NATS JetStream destination, built from a template such as
 * `outpost.{deviceId}.{destination}.{name}`.
 *
 * Invariant: whatever an event's name (or any other value) holds, the subject keeps the template's
 * shape, one token per template token. A value goes into its token escaped: every character but
 * `A-Z a-z 0-9 _ -` becomes `%` and its UTF-8 bytes in hex (`checkout.done` -> `checkout%2Edone`,
 * `a b` -> `a%20b`, `>` -> `%3E`), so no value brings a `.` (a new token), a `*` or `>` (a wildcard,
 * refused by the server in a published subject) or white space (which ends a subject in the
 * protocol). The escape is reversible (`%` itself is escaped), so two names never share a subject.
 * An empty value is a lone `%` (no escape is one). A value whose escape is longer than MAX_TOKEN_LENGTH is cut and ends with
 * `~` and a hash of the whole: a subject stays far below the server's control-line limit (4 KB).
 */

export const SUBJECT_PLACEHOLDERS = ['deviceId', 'destination', 'vendor', 'kind', 'name'] as const
export type SubjectPlaceholder = (typeof SUBJECT_PLACEHOLDERS)[number]
export type SubjectValues = Record<SubjectPlaceholder, string>

export const DEFAULT_SUBJECT_TEMPLATE = 'outpost.{deviceId}.{destination}.{name}'

const MAX_TOKEN_LENGTH = 200
const TOKEN_HASH_LENGTH = 16
/** What a template token's fixed text may hold: the characters no escape is needed for. */
const LITERAL = /^[A-Za-z0-9_-]*$/
const PLACEHOLDER = /\{([^{}]*)\}/g

/** One token of a subject for any value: see the module's comment. */
export function subjectToken(value: string): string {
  if (value === '') return '%'
  let escaped = ''
  for (const character of value) {
    if (/^[A-Za-z0-9_-]$/.test(character)) escaped += character
    else
      for (const byte of Buffer.from(character, 'utf8'))
        escaped += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }
  if (escaped.length <= MAX_TOKEN_LENGTH) return escaped
  const hash = createHash('sha256').update(value).digest('hex').slice(0, TOKEN_HASH_LENGTH)
  return `${escaped.slice(0, MAX_TOKEN_LENGTH - TOKEN_HASH_LENGTH - 1)}~${hash}`
}

type Part = { literal: string } | { placeholder: SubjectPlaceholder }

export interface SubjectTemplate {
  subjectFor(values: SubjectValues): string
}

/** Why a template cannot be used; null when it can. */
export function templateProblem(template: string): string | null {
  const tokens = template.split('.')
  for (const token of tokens) {
    if (token === '') return 'has an empty token (two dots in a row, or a dot at an end)'
    const literal = token.replace(PLACEHOLDER, '')
    if (!LITERAL.test(literal))
      return `token "${token}" holds "${literal}" outside placeholders: only letters, digits, _ and - may be written there`
    for (const [, name] of token.matchAll(PLACEHOLDER)) {
      if (!SUBJECT_PLACEHOLDERS.includes(name as SubjectPlaceholder))
        return `{${name}} is no placeholder (there are ${SUBJECT_PLACEHOLDERS.map((p) => `{${p}}`).join(', ')})`
    }
  }
  return null
}

/** A template checked by templateProblem: it must have none. */
export function parseSubjectTemplate(template: string): SubjectTemplate {
  const problem = templateProblem(template)
  if (problem) throw new Error(`subject template "${template}" ${problem}`)
  const tokens: Part[][] = template.split('.').map((token) =>
    token
      .split(/(\{[^{}]*\})/)
      .filter((piece) => piece !== '')
      .map((piece) =>
        piece.startsWith('{') ? { placeholder: piece.slice(1, -1) as SubjectPlaceholder } : { literal: piece }
      )
  )
  return {
    subjectFor: (values) =>
      tokens
        .map((parts) =>
          parts
            .map((part) => ('literal' in part ? part.literal : subjectToken(values[part.placeholder])))
            .join('')
        )
        .join('.')
  }
}
