// Which runtime runs the tests and the headless collector: Electron-as-Node when the Electron
// binary is installed (better-sqlite3 is then built for Electron's ABI), plain Node otherwise.
// Electron's own index.js downloads the binary when it is missing, so it is never required here.
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)

/** Path of the installed Electron executable, or null when the binary was not downloaded. */
export function electronBinary() {
  let pkgDir
  try {
    pkgDir = dirname(require.resolve('electron/package.json'))
  } catch {
    return null
  }
  const pathFile = join(pkgDir, 'path.txt')
  if (!existsSync(pathFile)) return null
  const binary = join(pkgDir, 'dist', readFileSync(pathFile, 'utf8').trim())
  return existsSync(binary) ? binary : null
}
