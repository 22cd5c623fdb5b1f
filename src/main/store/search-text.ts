import type Database from 'better-sqlite3'
import * as jsonc from 'jsonc-parser'

/**
 * What the search box matches, in one place: the search index (search-index.ts) indexes this text,
 * and every hit is checked again with `eventMatches` against the event as it is now, so the two
 * can never disagree and an index entry left behind (an edit, a pruned event) never shows.
 *
 * A term matches an event when the term, lower-cased, is part of the lower-cased event name, user
 * key or message id, or of one value of the payload to send: a string (its text, escapes decoded)
 * or a number as the client wrote it (`12345678901234567890`, `1.0`). Property names, `true`,
 * `false` and `null` are not searched: a search for `screen` finds the screen a value names, not
 * every event with a `screen` property. A value matches alone: a term spanning two values does not.
 */

/** Separates the values of an event's text: no search term holds one, so no match spans two values. */
export const VALUE_SEPARATOR = '\n'

/**
 * The scanner's token kinds. The package declares them as a const enum, which isolated modules
 * cannot read from its types, and exports the same object at run time.
 */
const TOKEN = (
  jsonc as unknown as {
    SyntaxKind: Record<'StringLiteral' | 'NumericLiteral' | 'ColonToken' | 'EOF', number>
  }
).SyntaxKind

/**
 * The values of a JSON text: strings decoded, numbers as written; names and true/false/null left out.
 * The scanner, not `visit`: three times faster (2.8 against 9 µs for a 420-byte event).
 */
export function jsonValues(text: string): string[] {
  const scanner = jsonc.createScanner(text, true)
  const values: string[] = []
  // A string is a property name when a colon follows it.
  let pending: string | null = null
  for (let kind: number = scanner.scan(); kind !== TOKEN.EOF; kind = scanner.scan()) {
    if (pending !== null && kind !== TOKEN.ColonToken) values.push(pending)
    pending = null
    if (kind === TOKEN.StringLiteral) pending = scanner.getTokenValue()
    else if (kind === TOKEN.NumericLiteral) values.push(scanner.getTokenValue())
  }
  if (pending !== null) values.push(pending)
  return values
}

/** The searchable fields of an event, as the outbox holds them. */
export interface SearchableEvent {
  name: string
  user_key: string | null
  message_id: string
  payload: string
}

/** The text the search index holds for an event: every searchable value, lower-cased, one a line. */
export function searchableText(event: SearchableEvent): string {
  const values = [event.name, event.user_key ?? '', event.message_id, ...jsonValues(event.payload)]
  return values.map((value) => value.toLowerCase()).join(VALUE_SEPARATOR)
}

/** A search term as it is compared: lower-cased, as the text is. */
export const searchTerm = (term: string): string => term.toLowerCase()

/** Whether `term` (lower-cased by searchTerm) matches the event: the definition of a match. */
export function eventMatches(
  name: string,
  userKey: string | null,
  messageId: string,
  payload: string,
  term: string
): boolean {
  if (
    name.toLowerCase().includes(term) ||
    (userKey !== null && userKey.toLowerCase().includes(term)) ||
    messageId.toLowerCase().includes(term)
  )
    return true
  // Without escapes a value's text is a stretch of the payload's: when the whole text lacks the
  // term no value holds it, and most events a search meets are refused here without parsing.
  if (!payload.includes('\\') && !payload.toLowerCase().includes(term)) return false
  return jsonValues(payload).some((value) => value.toLowerCase().includes(term))
}

/**
 * A search that may read for a limited time: once it has checked `atLeast` events (at least one, so
 * every read advances; a small outbox is always searched whole, however busy the machine),
 * event_matches refuses to check another after the deadline (throwing SearchTimeSpent, which ends
 * the statement). It records the lowest id checked, where a later read goes on.
 */
export interface SearchTime {
  deadline: number
  atLeast: number
  checked: number
  /** The lowest id checked so far; null before the first. */
  lowestChecked: number | null
}

export class SearchTimeSpent extends Error {
  override name = 'SearchTimeSpent'
}

/**
 * Registers the SQL function event_matches(id, name, user_key, message_id, payload, term), which
 * the list's and the export's statements call. `timing` gives the running search's time, if any.
 */
export function registerSearchFunctions(
  db: Database.Database,
  timing: () => SearchTime | null = () => null
): void {
  db.function(
    'event_matches',
    { deterministic: false },
    (id: number, name: string, userKey: string | null, messageId: string, payload: string, term: string) => {
      const time = timing()
      if (time) {
        if (time.checked >= Math.max(1, time.atLeast) && performance.now() > time.deadline)
          throw new SearchTimeSpent()
        time.checked++
        time.lowestChecked = id
      }
      return eventMatches(name, userKey, messageId, payload, term) ? 1 : 0
    }
  )
}

/** Characters of a trigram, as the trigram tokenizer counts them (code points, not UTF-16 units). */
const TRIGRAM = 3

/** The distinct trigrams of a text, as the trigram tokenizer cuts it. */
export function trigramsOf(text: string): Set<string> {
  const characters = Array.from(text)
  const trigrams = new Set<string>()
  for (let start = 0; start + TRIGRAM <= characters.length; start++)
    trigrams.add(characters.slice(start, start + TRIGRAM).join(''))
  return trigrams
}

/**
 * The FTS5 query that finds every event whose text holds `term` (lower-cased) among others: its
 * trigrams, in any place (the index keeps no positions, which makes it 3.5 times smaller;
 * eventMatches then keeps the events that hold the term itself). Trigrams most events hold
 * (`common`: `use` of every `user_…`) are left out when others remain: the index reads every id
 * of each trigram asked for, and those narrow nothing the check does not. Null for a term shorter
 * than a trigram, which no index entry can find.
 */
export function trigramQuery(term: string, common: ReadonlySet<string> = new Set()): string | null {
  const trigrams = [...trigramsOf(term)]
  if (trigrams.length === 0) return null
  const rare = trigrams.filter((trigram) => !common.has(trigram))
  return (rare.length > 0 ? rare : trigrams)
    .map((trigram) => `"${trigram.replace(/"/g, '""')}"`)
    .join(' AND ')
}
