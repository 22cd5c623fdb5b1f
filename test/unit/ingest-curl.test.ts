import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { INGEST_KEY_PLACEHOLDER } from '../../src/shared/model'
import { curlCommand, shellQuote } from '../../src/renderer/src/ingest-curl'

const BASH = '/usr/bin/bash'

/** The words bash passes to `curl` when the command is pasted: a stand-in curl prints them, NUL-separated. */
function wordsBashReads(command: string, env: Record<string, string> = {}): string[] {
  const script = `curl() { printf '%s\\0' "$@"; }\n${command}`
  const output = execFileSync(BASH, ['-c', script], {
    env: { PATH: '/usr/bin:/bin', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  }).toString()
  return output.split('\0').slice(0, -1)
}

const tricky = `{"name":"it's $HOME \`id\` !x \\"quoted\\" \\\\ done"}`

describe.skipIf(!existsSync(BASH))('the curl command the first-run guide shows, as bash reads it', () => {
  it('passes the URL, headers and body byte for byte, whatever they hold', () => {
    const command = curlCommand({
      url: "http://127.0.0.1:8787/it's/v1/events",
      headers: { 'Content-Type': 'application/json' },
      body: tricky
    })
    expect(wordsBashReads(command)).toEqual([
      '-i',
      "http://127.0.0.1:8787/it's/v1/events",
      '-H',
      'Content-Type: application/json',
      '--data-raw',
      tricky
    ])
  })

  it('reads an ingest key from OUTPOST_INGEST_KEY where the example needs one', () => {
    const command = curlCommand({
      url: 'http://127.0.0.1:8787/userflux/event/ingest',
      headers: { Authorization: `Bearer ${INGEST_KEY_PLACEHOLDER}`, 'X-Only-Key': INGEST_KEY_PLACEHOLDER },
      body: '{}'
    })
    expect(command).not.toContain(INGEST_KEY_PLACEHOLDER)
    const words = wordsBashReads(command, { OUTPOST_INGEST_KEY: "k'ey $1" })
    expect(words.slice(1, 6)).toEqual([
      'http://127.0.0.1:8787/userflux/event/ingest',
      '-H',
      "Authorization: Bearer k'ey $1",
      '-H',
      "X-Only-Key: k'ey $1"
    ])
  })
})

it('quotes a word in single quotes, a quote inside it closed, escaped and reopened', () => {
  expect(shellQuote("a'b")).toBe(`'a'\\''b'`)
  expect(shellQuote('')).toBe("''")
})
