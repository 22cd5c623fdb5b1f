import { visit, type JSONPath } from 'jsonc-parser'
import secureJson from 'secure-json-parse'

/**
 * Outpost keeps each event as the client's own JSON text, never as a value re-serialized by
 * JavaScript: JSON.parse rounds integers beyond 2^53 and forgets how a number was written
 * (`1.0`, `1e3`, `-0`). The parsed value is only read, to validate; what is stored and sent is
 * the text. JSON.parse reports no offsets, so where each event's text lies in the body is found
 * by a scan of our own, below: over a text JSON.parse has already accepted it only has to find
 * where values end, which costs a fraction of a second parse (jsonc-parser's visitor, used before,
 * took ~85 µs per 100 events on the ingest thread, a quarter of all per-event work outside SQLite).
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

// Character codes the span scan below reads. JSON's structure is ASCII: a multi-byte character
// can only appear inside a string, which the scan skips whole.
const QUOTE = 0x22
const BACKSLASH = 0x5c
const COMMA = 0x2c
const COLON = 0x3a
const OPEN_BRACE = 0x7b
const CLOSE_BRACE = 0x7d
const OPEN_BRACKET = 0x5b
const CLOSE_BRACKET = 0x5d

/** JSON's four whitespace characters (RFC 8259): space, tab, line feed, carriage return. */
function isWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09
}

function skipWhitespace(text: string, at: number): number {
  let index = at
  while (index < text.length && isWhitespace(text.charCodeAt(index))) index++
  return index
}

/**
 * The end of the string whose opening quote is at `at`: a quote ends it unless an odd number of
 * backslashes stands right before it. indexOf jumps over the characters between quotes.
 */
function stringEnd(text: string, at: number): number {
  for (let quote = text.indexOf('"', at + 1); quote >= 0; quote = text.indexOf('"', quote + 1)) {
    let backslashes = 0
    while (text.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes++
    if (backslashes % 2 === 0) return quote + 1
  }
  return text.length
}

/** The end of the object or array opening at `at`: brackets are counted outside strings only. */
function containerEnd(text: string, at: number): number {
  let depth = 0
  for (let index = at; index < text.length; index++) {
    const code = text.charCodeAt(index)
    if (code === QUOTE) index = stringEnd(text, index) - 1
    else if (code === OPEN_BRACE || code === OPEN_BRACKET) depth++
    else if ((code === CLOSE_BRACE || code === CLOSE_BRACKET) && --depth === 0) return index + 1
  }
  return text.length
}

/** The end of the value starting at `at`; a number or literal runs to the next delimiter. */
function valueEnd(text: string, at: number): number {
  const code = text.charCodeAt(at)
  if (code === QUOTE) return stringEnd(text, at)
  if (code === OPEN_BRACE || code === OPEN_BRACKET) return containerEnd(text, at)
  let index = at + 1
  while (index < text.length) {
    const next = text.charCodeAt(index)
    if (next === COMMA || next === CLOSE_BRACE || next === CLOSE_BRACKET || isWhitespace(next)) break
    index++
  }
  return index
}

/** Whether the key string from `at` to `end` (quotes included) names `field`, escapes decoded. */
function keyNames(text: string, at: number, end: number, field: string): boolean {
  const written = text.slice(at + 1, end - 1)
  return written.includes('\\') ? JSON.parse(text.slice(at, end)) === field : written === field
}

/**
 * Where the value of the top-level object's member `field` is written: [start, end), or null when
 * the text is not an object or has no such member. When the member is written twice, the last
 * one is JSON.parse's value, so it is the last one here too.
 */
function memberSpan(text: string, field: string): [number, number] | null {
  let index = skipWhitespace(text, 0)
  if (text.charCodeAt(index) !== OPEN_BRACE) return null
  index = skipWhitespace(text, index + 1)
  let span: [number, number] | null = null
  while (text.charCodeAt(index) === QUOTE) {
    const keyEnd = stringEnd(text, index)
    const named = keyNames(text, index, keyEnd, field)
    const colon = skipWhitespace(text, keyEnd)
    if (text.charCodeAt(colon) !== COLON) return span
    const start = skipWhitespace(text, colon + 1)
    const end = valueEnd(text, start)
    if (named) span = [start, end]
    index = skipWhitespace(text, end)
    if (text.charCodeAt(index) === COMMA) index = skipWhitespace(text, index + 1)
  }
  return span
}

/**
 * The text of each element of the top-level array `field`, exactly as written, in order: spans
 * read in a text JSON.parse has already accepted (a text it refused never gets here), so the scan
 * only finds where values end and never judges them.
 */
export function elementTexts(text: string, field: string): string[] {
  const span = memberSpan(text, field)
  if (!span || text.charCodeAt(span[0]) !== OPEN_BRACKET) return []
  const texts: string[] = []
  let index = skipWhitespace(text, span[0] + 1)
  while (index < span[1] && text.charCodeAt(index) !== CLOSE_BRACKET) {
    const end = valueEnd(text, index)
    texts.push(text.slice(index, end))
    index = skipWhitespace(text, end)
    if (text.charCodeAt(index) === COMMA) index = skipWhitespace(text, index + 1)
  }
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
  const span = memberSpan(text, field)
  return span ? text.slice(span[0], span[1]) : undefined
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

/** A request's batch: how many elements it holds, and the text of those asked for, as written. */
export interface BatchElements {
  count: number
  texts: Map<number, string>
}

/**
 * The batch of a request body, where Whisperr and UserFlux keep it (and what an answer's event
 * index counts in): the top-level array, or the first top-level field holding an array
 * (`events`). Null when the body has none. Only the wanted elements' ends are read; the scanner
 * skips the inside of every other value.
 */
export function batchElements(text: string, wanted: ReadonlySet<number>): BatchElements | null {
  let batchPath: JSONPath | null = null
  let count = 0
  const texts = new Map<number, string>()
  let reading = -1
  let start = -1
  const elementIndex = (path: JSONPath): number | null => {
    if (batchPath === null || path.length !== batchPath.length + 1) return null
    if (batchPath.length === 1 && path[0] !== batchPath[0]) return null
    return path[path.length - 1] as number
  }
  /** Whether to read inside: only the root and the batch itself; an element is taken whole. */
  const elementBegins = (offset: number, path: JSONPath): false => {
    const index = elementIndex(path)
    if (index === null) return false
    count = Math.max(count, index + 1)
    if (wanted.has(index)) [reading, start] = [index, offset]
    return false
  }
  visit(text, {
    onObjectBegin: (offset, _length, _line, _column, path) =>
      path().length === 0 || elementBegins(offset, path()),
    onArrayBegin: (offset, _length, _line, _column, pathSupplier) => {
      const path = pathSupplier()
      if (path.length === 0 || (path.length === 1 && batchPath === null && typeof path[0] === 'string')) {
        batchPath ??= [...path]
        return true
      }
      return elementBegins(offset, path)
    },
    onObjectEnd: (offset, length) => endOf(offset + length),
    onArrayEnd: (offset, length) => endOf(offset + length),
    onLiteralValue: (_value, offset, length, _line, _column, path) => {
      const index = elementIndex(path())
      if (index === null) return
      count = Math.max(count, index + 1)
      if (wanted.has(index)) texts.set(index, text.slice(offset, offset + length))
    }
  })
  function endOf(end: number): void {
    if (reading < 0) return
    texts.set(reading, text.slice(start, end))
    reading = -1
  }
  return batchPath === null ? null : { count, texts }
}
