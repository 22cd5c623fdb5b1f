import { findNodeAtLocation, parseTree, visit, type JSONPath } from 'jsonc-parser'
import secureJson from 'secure-json-parse'

/**
 * Outpost keeps each event as the client's own JSON text, never as a value re-serialized by
 * JavaScript: JSON.parse rounds integers beyond 2^53 and forgets how a number was written
 * (`1.0`, `1e3`, `-0`). The parsed value is only read, to validate; what is stored and sent is
 * the text. These read positions in a text JSON.parse has already accepted, with jsonc-parser's
 * scanner (it reports offsets; JSON.parse does not).
 */

/** Deeper JSON is refused: no vendor's events nest like that, and walking it costs the ingest thread. */
export const MAX_JSON_DEPTH = 32

export type ParsedJson =
  | { ok: true; value: unknown }
  | { ok: false; problem: 'empty' | 'syntax' | 'forbidden_key' | 'too_deep'; reason: string }

const POISON_SCAN = { protoAction: 'error', constructorAction: 'error', safe: true } as const

function depthExceeds(value: unknown, limit: number): boolean {
  if (limit < 0) return true
  if (value === null || typeof value !== 'object') return false
  // for...in allocates nothing: this walks every value of every request.
  for (const key in value) {
    if (depthExceeds((value as Record<string, unknown>)[key], limit - 1)) return true
  }
  return false
}

/**
 * Reads a JSON text a client (or a person editing a payload) sent, with the rules every body is
 * held to: valid JSON (the parser's reason kept), no prototype keys, at most MAX_JSON_DEPTH levels.
 */
export function parseJsonText(text: string): ParsedJson {
  if (text.trim().length === 0) return { ok: false, problem: 'empty', reason: 'empty body' }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    return { ok: false, problem: 'syntax', reason: (error as Error).message }
  }
  // Only text naming those keys can hold them; the scan walks the whole value.
  const suspect = text.includes('__proto__') || text.includes('constructor')
  if (
    suspect &&
    value !== null &&
    typeof value === 'object' &&
    secureJson.scan(value, POISON_SCAN) === null
  ) {
    return {
      ok: false,
      problem: 'forbidden_key',
      reason:
        'uses "__proto__" or "constructor.prototype" as a key; Outpost refuses them (prototype poisoning)'
    }
  }
  if (depthExceeds(value, MAX_JSON_DEPTH)) {
    return { ok: false, problem: 'too_deep', reason: `nests deeper than ${MAX_JSON_DEPTH} levels` }
  }
  return { ok: true, value }
}

/** The text of each element of the top-level array `field`, exactly as written, in order. */
export function elementTexts(text: string, field: string): string[] {
  const texts: string[] = []
  let start = -1
  const isElement = (path: JSONPath) => path.length === 2 && path[0] === field
  // Returning false skips the element's inside: only its two ends are of interest.
  const begin = (offset: number, _length: number, _line: number, _column: number, path: () => JSONPath) => {
    if (!isElement(path())) return true
    start = offset
    return false
  }
  const end = (offset: number, length: number) => {
    if (start < 0) return
    texts.push(text.slice(start, offset + length))
    start = -1
  }
  visit(text, {
    onObjectBegin: begin,
    onArrayBegin: begin,
    onObjectEnd: end,
    onArrayEnd: end,
    onLiteralValue: (_value, offset, length, _line, _column, path) => {
      if (isElement(path())) texts.push(text.slice(offset, length + offset))
    }
  })
  return texts
}

/**
 * The text of each of these top-level fields' values as written, in one pass of the scanner that
 * skips what is inside them; a field the object lacks is absent from the answer.
 */
export function topLevelFieldTexts(text: string, fields: readonly string[]): Map<string, string> {
  const found = new Map<string, string>()
  let field: string | null = null
  let start = -1
  const wantedAt = (path: JSONPath) =>
    path.length === 1 && fields.includes(path[0] as string) ? (path[0] as string) : null
  const begin = (offset: number, _length: number, _line: number, _column: number, path: () => JSONPath) => {
    field = wantedAt(path())
    if (field === null) return true
    start = offset
    return false
  }
  const end = (offset: number, length: number) => {
    if (field === null) return
    found.set(field, text.slice(start, offset + length))
    field = null
  }
  visit(text, {
    onObjectBegin: begin,
    onArrayBegin: begin,
    onObjectEnd: end,
    onArrayEnd: end,
    onLiteralValue: (_value, offset, length, _line, _column, path) => {
      const literal = wantedAt(path())
      if (literal !== null) found.set(literal, text.slice(offset, offset + length))
    }
  })
  return found
}

/** The text of a top-level field's value as written; undefined when the object has no such field. */
export function fieldText(text: string, field: string): string | undefined {
  const root = parseTree(text)
  const node = root && findNodeAtLocation(root, [field])
  return node && text.slice(node.offset, node.offset + node.length)
}

const DECIMAL = /^-?(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/

/**
 * Whether a JSON number, as written, is a whole number: judged on its digits, so
 * `1700000000000.00001` (which JSON.parse rounds to a whole number) is not, and `1.7e12` is.
 */
export function isWholeNumberText(number: string): boolean {
  const match = DECIMAL.exec(number)
  if (!match) return false
  const [, whole = '', fraction = '', exponent = '0'] = match
  const digits = whole + fraction
  const point = whole.length + Number(exponent)
  return /^0*$/.test(digits.slice(Math.max(0, point)))
}
