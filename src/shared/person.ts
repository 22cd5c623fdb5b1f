/**
 * Who sits at the web console. The admin token or a session says only that a caller may act, not
 * who it is; a name the person gave once (kept by their browser) goes with every call, so the
 * history can tell support staff apart. The desktop app records the OS user instead.
 */

/** The request header that carries the name, percent-encoded UTF-8 (a header value holds Latin-1 at most). */
export const PERSON_HEADER = 'x-outpost-person'

export const MAX_PERSON_NAME_LENGTH = 64

/**
 * Control characters would break the history's line or hide what follows (a line break, a tab,
 * an escape); direction marks and overrides would make one name read as another.
 */
const INVISIBLE = /[\p{Cc}\p{Zl}\p{Zp}\u200e\u200f\u202a-\u202e\u2066-\u2069]/u

/** Why a name cannot be recorded, or null when it can. The name is taken trimmed. */
export function personNameProblem(name: string): string | null {
  const trimmed = name.trim()
  if (trimmed === '') return 'is empty'
  if ([...trimmed].length > MAX_PERSON_NAME_LENGTH) {
    return `is longer than ${MAX_PERSON_NAME_LENGTH} characters`
  }
  if (INVISIBLE.test(trimmed)) {
    return 'holds a control character (a line break, a tab, a direction mark): use letters, digits, spaces and punctuation'
  }
  return null
}

/** What the history records for a console call: the name, when one was given, and where it came from. */
export function consoleActor(name: string | null): string {
  return name === null ? 'web console' : `${name.trim()} (web console)`
}
