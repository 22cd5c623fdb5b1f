import type { RequestPreview } from './model'

/**
 * One argument for a POSIX shell (sh, bash, zsh), taken literally: inside single quotes nothing
 * is special (no `$`, backtick, backslash or `!` expansion), and a single quote itself is written
 * as `'\''` (close the quotes, an escaped quote, open them again).
 */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`
}

/** curl reads `[]{}` in a URL as a glob pattern unless told not to. */
const GLOB_CHARACTERS = /[[\]{}]/

/** `Name: value` as curl's -H takes it; `Name;` sends a header with an empty value. */
function headerArgument(name: string, value: string): string {
  return value === '' ? `${name};` : `${name}: ${value}`
}

/**
 * A curl command that sends exactly this request when pasted into a POSIX shell: the body byte
 * for byte (`--data-raw` sends its text as it is, and unlike `-d` never reads a file named after
 * `@`), each header as given (curl's own User-Agent and Content-Type give way to them).
 */
export function curlCommand(request: RequestPreview): string {
  const first = ['curl']
  if (GLOB_CHARACTERS.test(request.url)) first.push('--globoff')
  // curl sends GET, or POST with a body, unless told otherwise.
  if (request.method !== (request.body === null ? 'GET' : 'POST')) first.push('-X', request.method)
  first.push(shellQuote(request.url))
  const lines = [first.join(' ')]
  for (const [name, value] of Object.entries(request.headers)) {
    lines.push(`-H ${shellQuote(headerArgument(name, value))}`)
  }
  if (request.body !== null) lines.push(`--data-raw ${shellQuote(request.body)}`)
  // One option a line, continued with a backslash, as curl commands are written.
  return lines.join(' \\\n  ')
}
