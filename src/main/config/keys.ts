import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { parseSecretJson } from './json-file'

/** Where a destination's vendor key comes from; a key set in Outpost wins over the config's. */
export type KeySource = 'outpost' | 'config' | 'env'

/**
 * How keys set in Outpost are kept at rest. The desktop app encrypts them with the OS keychain
 * (Electron's safeStorage); headless, the file's 0600 mode is the protection, as for an SSH key.
 */
export interface KeyCipher {
  encrypted: boolean
  encrypt(text: string): string
  decrypt(stored: string): string
}

export const PLAIN_CIPHER: KeyCipher = {
  encrypted: false,
  encrypt: (text) => text,
  decrypt: (stored) => stored
}

interface StoredKey {
  encrypted: boolean
  value: string
}

export type StoredKeyResult = { ok: true; value: string } | { ok: false; problem: string }

export interface KeyStore {
  encrypted: boolean
  /** The key set in Outpost for this destination; null when none is. */
  get(destinationId: string): StoredKeyResult | null
  set(destinationId: string, key: string | null): void
}

function isStoredKey(value: unknown): value is StoredKey {
  const entry = value as Partial<StoredKey> | null
  return (
    typeof entry === 'object' &&
    entry !== null &&
    typeof entry.encrypted === 'boolean' &&
    typeof entry.value === 'string'
  )
}

/**
 * The keys in keys.json's text, by destination id. A Map, not the parsed object: an id such as
 * `constructor` or `toString` would find Object.prototype's member there. Every problem is
 * described without the file's text, which holds keys.
 */
function keysOf(text: string): { ok: true; keys: Map<string, StoredKey> } | { ok: false; problem: string } {
  const parsed = parseSecretJson(text)
  if (!parsed.ok) return { ok: false, problem: `not valid JSON: ${parsed.problem}` }
  const { value } = parsed
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value
    return { ok: false, problem: `it holds ${got}, not an object of keys` }
  }
  const entries = Object.entries(value)
  if (!entries.every(([, entry]) => isStoredKey(entry))) {
    return { ok: false, problem: 'an entry is not {"encrypted": true|false, "value": "..."}' }
  }
  return { ok: true, keys: new Map(entries as Array<[string, StoredKey]>) }
}

/** keys.json: `{ "<destination id>": { "encrypted": bool, "value": "..." } }`, owner-only. */
export function openKeyStore(file: string, cipher: KeyCipher): KeyStore {
  const read = (): Map<string, StoredKey> => {
    if (!existsSync(file)) return new Map()
    const read = keysOf(readFileSync(file, 'utf8'))
    if (!read.ok) {
      throw new Error(
        `${file} is damaged (${read.problem}): remove it, then set the vendor keys again in Outpost`
      )
    }
    return read.keys
  }

  const write = (keys: Map<string, StoredKey>): void => {
    // Written whole, then renamed: a crash leaves the old file or the new one, never half of one.
    const temporary = `${file}.tmp`
    writeFileSync(temporary, JSON.stringify(Object.fromEntries(keys), null, 2), { mode: 0o600 })
    renameSync(temporary, file)
  }

  return {
    encrypted: cipher.encrypted,
    get(destinationId) {
      const stored = read().get(destinationId)
      if (!stored) return null
      if (!stored.encrypted) return { ok: true, value: stored.value }
      try {
        if (!cipher.encrypted) throw new Error('no keychain')
        return { ok: true, value: cipher.decrypt(stored.value) }
      } catch {
        return {
          ok: false,
          problem:
            "The key set in Outpost was encrypted by another user's or machine's keychain and cannot be read here: set it again"
        }
      }
    },
    set(destinationId, key) {
      const keys = read()
      if (key === null) keys.delete(destinationId)
      else keys.set(destinationId, { encrypted: cipher.encrypted, value: cipher.encrypt(key) })
      write(keys)
    }
  }
}
