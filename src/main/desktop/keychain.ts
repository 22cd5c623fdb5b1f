import { safeStorage } from 'electron'
import { PLAIN_CIPHER, type KeyCipher } from '../config/keys'

/**
 * Vendor keys set in the app, encrypted by the OS keychain (Keychain, DPAPI, libsecret/kwallet).
 * On Linux without a keyring Electron falls back to a fixed password ('basic_text'): no better
 * than the file's 0600 mode, so the keys are then kept as the headless collector keeps them.
 */
export function keychainCipher(): KeyCipher {
  const weak = process.platform === 'linux' && safeStorage.getSelectedStorageBackend() === 'basic_text'
  if (!safeStorage.isEncryptionAvailable() || weak) return PLAIN_CIPHER
  return {
    encrypted: true,
    encrypt: (text) => safeStorage.encryptString(text).toString('base64'),
    decrypt: (stored) => safeStorage.decryptString(Buffer.from(stored, 'base64'))
  }
}
