import { INGEST_KEY_PLACEHOLDER, type IngestExample } from '@shared/model'

/** The shell variable the curl reads an ingest key from: the console never shows a key. */
export const INGEST_KEY_VARIABLE = 'OUTPOST_INGEST_KEY'

/** One shell word the shell reads back exactly: in single quotes, where nothing is special but `'`. */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`
}

/** A word holding the text, with the ingest key from the environment where the placeholder stands. */
function shellWord(text: string): string {
  return text
    .split(INGEST_KEY_PLACEHOLDER)
    .map((literal) => (literal === '' ? '' : shellQuote(literal)))
    .join(`"$${INGEST_KEY_VARIABLE}"`)
}

/**
 * The example as a curl command that works pasted into a POSIX shell (bash, zsh): every value
 * quoted, the body sent byte for byte (`--data-raw` reads no `@file`), the answer's status and
 * headers shown (`-i`).
 */
export function curlCommand(example: IngestExample): string {
  const headers = Object.entries(example.headers).map(
    ([name, value]) => `-H ${shellWord(`${name}: ${value}`)}`
  )
  return [`curl -i ${shellQuote(example.url)}`, ...headers, `--data-raw ${shellQuote(example.body)}`].join(
    ' \\\n  '
  )
}
