import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { app, BrowserWindow, dialog } from 'electron'
import { registerIpcApi } from './admin/ipc'
import { startCollector, type Collector } from './collector'
import { defaultConfig } from './config'
import {
  chooseConfigSource,
  describeConfigSource,
  loadConfigFrom,
  managedConfigPath
} from './config/provisioning'
import { chooseExportFile } from './desktop/export-dialog'
import { chooseImportFile } from './desktop/import-dialog'
import { keychainCipher } from './desktop/keychain'
import { ensureOwnerOnlyDir } from './file-modes'
import { loginItem, startedAtLogin } from './desktop/login-item'
import { createTray } from './desktop/tray'
import { ignoreUnwritableLogs } from './unwritable-logs'
import { createMainWindow, isTrustedSender } from './window'

/**
 * Electron entry: one instance, the collector with its data in userData, a window and a tray.
 * Closing the window leaves the collector running in the tray (apps keep sending to it); only
 * Quit stops it. The config lives in userData/outpost.json (written with defaults on first start),
 * unless a fleet's MDM provides one (config/provisioning.ts): then that one is used and no file written.
 */

// Resolved in the entry file, which sits in out/main whatever chunks the bundler makes.
const APP_FILES = {
  preload: join(__dirname, '../preload/index.js'),
  rendererHtml: join(__dirname, '../renderer/index.html')
}

ignoreUnwritableLogs()

function loadAppConfig(dir: string) {
  const ownFile = join(dir, 'outpost.json')
  const source = chooseConfigSource({ env: process.env, managedFile: managedConfigPath(), ownFile })
  if (source.kind === 'own-file' && !existsSync(ownFile)) {
    ensureOwnerOnlyDir(dir)
    const { ingest, destinations } = defaultConfig()
    writeFileSync(ownFile, JSON.stringify({ ingest, destinations }, null, 2), { mode: 0o600 })
  }
  console.log(`Outpost config: ${describeConfigSource(source)}`)
  return loadConfigFrom(source, process.env)
}

function showWindow(): void {
  const [window] = BrowserWindow.getAllWindows()
  if (!window) {
    createMainWindow(APP_FILES)
    return
  }
  if (window.isMinimized()) window.restore()
  window.show()
  window.focus()
}

async function start(): Promise<void> {
  const dataDir = process.env.OUTPOST_DATA_DIR || app.getPath('userData')
  let collector: Collector
  try {
    collector = await startCollector({
      config: loadAppConfig(dataDir),
      dataDir,
      rendererDir: null,
      keyCipher: keychainCipher()
    })
  } catch (error) {
    // Nobody reads a desktop app's console: say it in a dialog (port taken, bad config, newer data).
    const message = `Outpost could not start: ${(error as Error).message}`
    console.error(message)
    dialog.showErrorBox('Outpost', `${message}\n\nData folder: ${dataDir}`)
    app.exit(1)
    return
  }
  console.log(`Outpost collector listening on ${collector.url} (data: ${dataDir})`)
  const unregister = registerIpcApi(
    collector.api,
    (event) => isTrustedSender(event, APP_FILES),
    chooseExportFile,
    chooseImportFile
  )
  const disposeTray = createTray({
    api: collector.api,
    login: loginItem(),
    dataDir,
    openWindow: showWindow,
    quit: () => app.quit()
  })
  if (!startedAtLogin()) createMainWindow(APP_FILES)
  app.on('activate', showWindow)
  // Launching Outpost again is how a person finds the window when the tray is hidden.
  app.on('second-instance', showWindow)

  let closed = false
  app.on('before-quit', (event) => {
    if (closed) return
    event.preventDefault()
    unregister()
    disposeTray()
    void collector.close().finally(() => {
      closed = true
      app.quit()
    })
  })
}

if (!app.requestSingleInstanceLock()) app.quit()
else {
  // Without a window the collector keeps running in the tray; Quit in the tray menu stops it.
  app.on('window-all-closed', () => undefined)
  void app.whenReady().then(start)
}
