import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startCollector } from '../../src/main/collector'
import { loadConfigFile, parseConfig, resolveDestinations } from '../../src/main/config'
import { openKeyStore, PLAIN_CIPHER } from '../../src/main/config/keys'
import { tempDir } from '../support/temp'

/**
 * The files that hold vendor keys: a damaged one stops the start with the file and the place,
 * never an excerpt (which may be a key), and a destination id that is also the name of an
 * Object.prototype member is a destination like any other.
 */

const SECRET = 'wk_live_SECRET'

let dir: ReturnType<typeof tempDir>
let keysFile: string
beforeEach(() => {
  dir = tempDir('outpost-key-files')
  keysFile = join(dir.path, 'keys.json')
})
afterEach(() => dir.remove())

/** The message `read` throws; fails the test when it does not throw. */
function thrownBy(read: () => unknown): string {
  try {
    read()
  } catch (error) {
    return (error as Error).message
  }
  throw new Error('expected it to throw')
}

describe('a keys.json that is not valid JSON', () => {
  it.each([
    [
      'a key left unquoted',
      `{\n  "whisperr": { "encrypted": false, "value": ${SECRET} }\n}`,
      'line 2, column 46'
    ],
    [
      'a brace missing',
      `{\n  "whisperr": { "encrypted": false, "value": "${SECRET}" }\n`,
      'line 3, column 1'
    ],
    [
      'text after the object',
      `{ "whisperr": { "encrypted": false, "value": "${SECRET}" } } ${SECRET}`,
      'line 1, column 67'
    ]
  ])('names the file and the place of %s, never the text', (_case, text, place) => {
    writeFileSync(keysFile, text)
    const message = thrownBy(() => openKeyStore(keysFile, PLAIN_CIPHER).get('whisperr'))
    expect(message).toContain(`${keysFile} is damaged (`)
    expect(message).toContain(place)
    expect(message).toMatch(/remove it, then set the vendor keys again/)
    expect(message).not.toContain('SECRET')
  })

  it('says an empty file is empty', () => {
    writeFileSync(keysFile, '\n')
    expect(thrownBy(() => openKeyStore(keysFile, PLAIN_CIPHER).get('whisperr'))).toMatch(
      /is damaged \(not valid JSON: the file is empty\)/
    )
  })
})

describe('a keys.json that is JSON but not a set of keys', () => {
  it.each([
    'null',
    '[]',
    '42',
    `"${SECRET}"`,
    'true',
    `{ "whisperr": "${SECRET}" }`,
    '{ "whisperr": null }',
    '{ "whisperr": { "encrypted": "no", "value": 1 } }'
  ])('%s is damaged, with a clear message, for a read and for a write', (text) => {
    writeFileSync(keysFile, text)
    const keys = openKeyStore(keysFile, PLAIN_CIPHER)
    for (const use of [() => keys.get('whisperr'), () => keys.set('userflux', 'uf_1')]) {
      const message = thrownBy(use)
      expect(message).toContain(`${keysFile} is damaged (`)
      expect(message).toMatch(/remove it, then set the vendor keys again/)
      expect(message).not.toContain('SECRET')
    }
  })
})

describe('a collector start on a damaged keys.json', () => {
  it('stops with the message, holding nothing, and starts once the file is removed', async () => {
    writeFileSync(keysFile, 'null')
    const config = parseConfig({
      ingest: { port: 0 },
      destinations: [{ id: 'whisperr', vendor: 'whisperr', baseUrl: 'http://127.0.0.1:9' }]
    })
    const start = () =>
      startCollector({ searchIndex: false, config, dataDir: dir.path, port: 0, rendererDir: null, env: {} })
    await expect(start()).rejects.toThrow(`${keysFile} is damaged (it holds null, not an object of keys)`)
    rmSync(keysFile)
    const collector = await start()
    await collector.close()
  })
})

describe('destination ids named like Object.prototype members', () => {
  const ids = ['constructor', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf']

  it('have no key until one is set, then keep their own', () => {
    const keys = openKeyStore(keysFile, PLAIN_CIPHER)
    for (const id of ids) expect(keys.get(id), id).toBeNull()
    for (const id of ids) keys.set(id, `key-of-${id}`)
    const reopened = openKeyStore(keysFile, PLAIN_CIPHER)
    for (const id of ids) expect(reopened.get(id), id).toEqual({ ok: true, value: `key-of-${id}` })
    reopened.set('constructor', null)
    expect(openKeyStore(keysFile, PLAIN_CIPHER).get('constructor')).toBeNull()
  })

  it('a keys.json naming __proto__ neither hides nor lends a key', () => {
    writeFileSync(keysFile, '{ "__proto__": { "encrypted": false, "value": "proto-key" } }')
    const keys = openKeyStore(keysFile, PLAIN_CIPHER)
    expect(keys.get('constructor')).toBeNull()
    expect(keys.get('__proto__')).toEqual({ ok: true, value: 'proto-key' })
  })

  it('use the config key (or none) when none is set in Outpost, and the stored one when it is', () => {
    const config = parseConfig({
      destinations: [
        { id: 'constructor', vendor: 'whisperr', apiKey: 'from-config' },
        { id: 'toString', vendor: 'userflux', apiKeyEnv: 'toString' },
        { id: 'valueOf', vendor: 'flywheel', apiKeyEnv: 'constructor' }
      ]
    })
    const keys = openKeyStore(keysFile, PLAIN_CIPHER)
    const [constructor, toString, valueOf] = resolveDestinations(config, {}, keys)
    expect(constructor).toMatchObject({ apiKey: 'from-config', keySource: 'config' })
    // An environment variable named like a prototype member is unset unless it is set.
    expect(toString).toMatchObject({ apiKey: null, keySource: null })
    expect(valueOf).toMatchObject({ apiKey: null, keySource: null })
    expect(resolveDestinations(config, process.env, keys)[2]).toMatchObject({ apiKey: null })

    keys.set('constructor', 'set-in-outpost')
    expect(resolveDestinations(config, { toString: 'from-env' }, keys)).toMatchObject([
      { apiKey: 'set-in-outpost', keySource: 'outpost' },
      { apiKey: 'from-env', keySource: 'env' },
      { apiKey: null }
    ])
  })
})

describe('a config file that is not valid JSON', () => {
  it('names the file and the place, never the text around it', () => {
    const file = join(dir.path, 'outpost.json')
    writeFileSync(
      file,
      `{\n  "destinations": [\n    { "id": "whisperr", "vendor": "whisperr", "apiKey": ${SECRET} }\n  ]\n}`
    )
    const message = thrownBy(() => loadConfigFile(file))
    expect(message).toBe(`config file ${file} is not valid JSON: invalid symbol at line 3, column 57`)
  })

  it('says which file is empty', () => {
    const file = join(dir.path, 'outpost.json')
    writeFileSync(file, '')
    expect(thrownBy(() => loadConfigFile(file))).toBe(
      `config file ${file} is not valid JSON: the file is empty`
    )
  })
})
