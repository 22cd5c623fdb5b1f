import { execFileSync } from 'node:child_process'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { curlCommand, shellQuote } from '../../src/shared/curl'

/** What a POSIX shell makes of one quoted argument: printf writes it back unchanged. */
const throughShell = (quoted: string) =>
  execFileSync('/bin/sh', ['-c', `printf '%s' ${quoted}`], { encoding: 'utf8' })

describe('Copy as curl: shell quoting', () => {
  it('writes a single quote as close, escaped quote, open', () => {
    expect(shellQuote(`it's`)).toBe(`'it'\\''s'`)
    expect(shellQuote('')).toBe(`''`)
    expect(shellQuote(`$HOME \`id\` "\\n" !1`)).toBe(`'$HOME \`id\` "\\n" !1'`)
  })

  it('hands any text to the command unchanged: quotes, $, backticks, backslashes, line breaks', () => {
    const tricky = [`O'Brien`, `'`, `''`, `$(id)`, '`id`', '\\', "\\'", 'a\nb\r\n', '!!', '*', '~', '"', '%s']
    for (const text of tricky) expect(throughShell(shellQuote(text)), text).toBe(text)
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 40 }).filter((text) => !text.includes('\0')),
        (text) => {
          expect(throughShell(shellQuote(text))).toBe(text)
        }
      ),
      { numRuns: 60 }
    )
  })
})

describe('Copy as curl: the command', () => {
  it('sends the headers as given and the body as written, one option a line', () => {
    const command = curlCommand({
      method: 'POST',
      url: 'http://127.0.0.1:8787/whisperr/v1/events/track',
      headers: { 'content-type': 'application/json', 'x-api-key': "k'ey" },
      body: '{"name":"O\'Brien","n":1.0}',
      notes: []
    })
    expect(command).toBe(
      [
        `curl 'http://127.0.0.1:8787/whisperr/v1/events/track' \\`,
        `  -H 'content-type: application/json' \\`,
        `  -H 'x-api-key: k'\\''ey' \\`,
        `  --data-raw '{"name":"O'\\''Brien","n":1.0}'`
      ].join('\n')
    )
  })

  it('turns off URL globbing only where a URL has brackets, and names any method but the default', () => {
    const request = { method: 'POST', url: 'http://x/a?b=[1]', headers: {}, body: '{}', notes: [] }
    expect(curlCommand(request)).toBe(`curl --globoff 'http://x/a?b=[1]' \\\n  --data-raw '{}'`)
    expect(curlCommand({ ...request, url: 'http://x/', method: 'PUT' })).toBe(
      `curl -X PUT 'http://x/' \\\n  --data-raw '{}'`
    )
    expect(curlCommand({ ...request, url: 'http://x/', method: 'GET', body: null })).toBe(`curl 'http://x/'`)
    expect(curlCommand({ ...request, url: 'http://x/', headers: { 'x-empty': '' } })).toContain(
      `-H 'x-empty;'`
    )
  })
})
