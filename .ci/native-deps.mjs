// postinstall: builds better-sqlite3 for the runtime that will load it.
// Electron >= 45 fetches its binary lazily, on first require. Where it can (a normal machine),
// we fetch it now and rebuild the addon for Electron's ABI: the app, the tests (as
// ELECTRON_RUN_AS_NODE) and `outpost serve` then all run on Electron's Node.
// With ELECTRON_SKIP_BINARY_DOWNLOAD=1, or when the download fails, the addon npm built for
// this Node stays, and everything runs on plain Node.
import { execFileSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { electronBinary } from '../test/runtime.mjs'

const require = createRequire(import.meta.url)

function fetchElectron() {
  if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD) return electronBinary()
  try {
    require('electron')
  } catch (error) {
    console.warn('[outpost] Electron binary could not be downloaded:', error.message)
  }
  return electronBinary()
}

const binary = fetchElectron()
if (!binary) {
  console.log(`[outpost] no Electron binary: better-sqlite3 stays built for Node ${process.versions.node}`)
} else {
  console.log(`[outpost] Electron at ${binary}: rebuilding native modules for Electron`)
  execFileSync('npx', ['electron-builder', 'install-app-deps'], {
    stdio: 'inherit',
    shell: process.platform === 'win32'
  })
}
