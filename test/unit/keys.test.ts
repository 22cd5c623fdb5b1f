import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openKeyStore, PLAIN_CIPHER, type KeyCipher } from '../../src/main/config/keys'
import { tempDir } from '../support/temp'

/** A reversible stand-in for the OS keychain; `broken` makes it fail like another user's keychain. */
function fakeKeychain(broken = false): KeyCipher {
  return {
    encrypted: true,
    encrypt: (text) => `sealed:${Buffer.from(text).toString('base64')}`,
    decrypt: (stored) => {
      if (broken || !stored.startsWith('sealed:')) throw new Error('cannot decrypt')
      return Buffer.from(stored.slice('sealed:'.length), 'base64').toString()
    }
  }
}

describe('key store', () => {
  let dir: ReturnType<typeof tempDir>
  let file: string
  beforeEach(() => {
    dir = tempDir('outpost-keys')
    file = join(dir.path, 'keys.json')
  })
  afterEach(() => dir.remove())

  it('keeps keys in an owner-only file, replaced whole, and forgets a removed one', () => {
    const keys = openKeyStore(file, PLAIN_CIPHER)
    expect(keys.get('whisperr')).toBeNull()
    keys.set('whisperr', 'wk_1')
    keys.set('userflux', 'uf_1')
    expect(keys.get('whisperr')).toEqual({ ok: true, value: 'wk_1' })
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(readdirSync(dir.path)).toEqual(['keys.json'])
    keys.set('whisperr', null)
    expect(keys.get('whisperr')).toBeNull()
    expect(openKeyStore(file, PLAIN_CIPHER).get('userflux')).toEqual({ ok: true, value: 'uf_1' })
  })

  it('says which file is damaged and what to do, rather than a bare parse error', () => {
    writeFileSync(file, '{"whisperr": {"encrypted": fal')
    expect(() => openKeyStore(file, PLAIN_CIPHER).get('whisperr')).toThrow(`${file} is damaged (`)
    expect(() => openKeyStore(file, PLAIN_CIPHER).get('whisperr')).toThrow(
      /remove it, then set the vendor keys again/
    )
  })

  it('never writes a key in clear when a keychain is there', () => {
    const keys = openKeyStore(file, fakeKeychain())
    keys.set('flywheel', 'fw-secret-key')
    expect(readFileSync(file, 'utf8')).not.toContain('fw-secret-key')
    expect(keys.get('flywheel')).toEqual({ ok: true, value: 'fw-secret-key' })
    expect(keys.encrypted).toBe(true)
  })

  it('says so when an encrypted key cannot be read here, and still reads plain ones', () => {
    openKeyStore(file, fakeKeychain()).set('flywheel', 'fw-secret-key')
    openKeyStore(file, PLAIN_CIPHER).set('userflux', 'uf_1')
    for (const cipher of [PLAIN_CIPHER, fakeKeychain(true)]) {
      const keys = openKeyStore(file, cipher)
      expect(keys.get('flywheel')).toEqual({ ok: false, problem: expect.stringMatching(/set it again/) })
      expect(keys.get('userflux')).toEqual({ ok: true, value: 'uf_1' })
    }
    expect(existsSync(`${file}.tmp`)).toBe(false)
  })
})
