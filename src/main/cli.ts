import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { join } from 'node:path'

/**
 * `outpost serve`: the collector without Electron. Thin on purpose: it makes sure the native
 * SQLite addon matches this runtime, then hands over to ./serve.
 */

const nodeRequire = createRequire(__filename)

/** better-sqlite3 built for Electron's ABI (a checkout with Electron installed) cannot load here. */
function sqliteBuiltForElectron(): boolean {
  if (process.versions.electron) return false
  try {
    nodeRequire('better-sqlite3')
    return false
  } catch (error) {
    return /NODE_MODULE_VERSION/.test((error as Error).message)
  }
}

function rerunUnderElectron(): void {
  const electron = nodeRequire('electron') as unknown as string
  const child = spawn(electron, process.argv.slice(1), {
    stdio: 'inherit',
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }
  })
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal))
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
}

if (sqliteBuiltForElectron()) rerunUnderElectron()
else
  void import('./serve').then(({ main }) =>
    // Paths are resolved here: this entry sits in out/main, the chunk holding ./serve does not.
    main(process.argv.slice(2), { rendererDir: join(__dirname, '../renderer') }).catch((error: Error) => {
      console.error(`outpost: ${error.message}`)
      process.exit(1)
    })
  )
