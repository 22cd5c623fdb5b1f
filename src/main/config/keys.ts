import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'

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

/** keys.json: `{ "<destination id>": { "encrypted": bool, "value": "..." } }`, owner-only. */
export function openKeyStore(file: string, cipher: KeyCipher): KeyStore {
  const read = (): Record<string, StoredKey> => {
    if (!existsSync(file)) return {}
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as Record<string, StoredKey>
    } catch (error) {
      throw new Error(
        `${file} is damaged (${(error as Error).message}): remove it, then set the vendor keys again in Outpost`
      )
    }
  }

  const write = (keys: Record<string, StoredKey>): void => {
    // Written whole, then renamed: a crash leaves the old file or the new one, never half of one.
    const temporary = `${file}.tmp`
    writeFileSync(temporary, JSON.stringify(keys, null, 2), { mode: 0o600 })
    renameSync(temporary, file)
  }

  return {
    encrypted: cipher.encrypted,
    get(destinationId) {
      const stored = read()[destinationId]
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
      if (key === null) delete keys[destinationId]
      else keys[destinationId] = { encrypted: cipher.encrypted, value: cipher.encrypt(key) }
      write(keys)
    }
  }
}
