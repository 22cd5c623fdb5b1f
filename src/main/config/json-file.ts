import { printParseErrorCode, visit } from 'jsonc-parser'

export type ParsedFile = { ok: true; value: unknown } | { ok: false; problem: string }

/**
 * Parses the text of a file that can hold vendor keys (the config, keys.json). JSON.parse's
 * message quotes the text around a syntax error, and that text may be a key: the problem says
 * only what is wrong and where, e.g. "comma expected at line 3, column 14".
 */
export function parseSecretJson(text: string): ParsedFile {
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch {
    return { ok: false, problem: syntaxProblem(text) }
  }
}

/** jsonc-parser reports the first error as a code and a position, never as text of the file. */
function syntaxProblem(text: string): string {
  if (text.trim() === '') return 'the file is empty'
  let problem: string | null = null
  visit(
    text,
    {
      onError: (error, _offset, _length, line, character) => {
        problem ??= `${words(printParseErrorCode(error))} at line ${line + 1}, column ${character + 1}`
      }
    },
    { disallowComments: true, allowTrailingComma: false }
  )
  return problem ?? 'not valid JSON'
}

/** `CommaExpected` -> `comma expected` */
const words = (code: string) => code.replace(/(?<=[a-z])(?=[A-Z])/g, ' ').toLowerCase()
