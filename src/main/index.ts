import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { app, BrowserWindow, dialog } from 'electron'
import { registerIpcApi } from './admin/ipc'
import { startCollector, type Collector } from './collector'
import { defaultConfig, loadConfigFile } from './config'
import { createMainWindow, isTrustedSender } from './window'

/**
 * Electron entry: one instance, one window, the collector with its data in userData.
 * The config lives in userData/outpost.json (written with defaults on first start).
 */

// Resolved in the entry file, which sits in out/main whatever chunks the bundler makes.
const APP_FILES = {
  preload: join(__dirname, '../preload/index.js'),
  rendererHtml: join(__dirname, '../renderer/index.html')
}

function loadAppConfig(dir: string) {
  const file = join(dir, 'outpost.json')
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true })
    const { ingest, destinations } = defaultConfig()
    writeFileSync(file, JSON.stringify({ ingest, destinations }, null, 2), { mode: 0o600 })
  }
  return loadConfigFile(file)
}

async function start(): Promise<void> {
  const dataDir = process.env.OUTPOST_DATA_DIR || app.getPath('userData')
  let collector: Collector
  try {
    collector = await startCollector({ config: loadAppConfig(dataDir), dataDir, rendererDir: null })
  } catch (error) {
    // Nobody reads a desktop app's console: say it in a dialog (port taken, bad config, newer data).
    const message = `Outpost could not start: ${(error as Error).message}`
    console.error(message)
    dialog.showErrorBox('Outpost', `${message}\n\nData folder: ${dataDir}`)
    app.exit(1)
    return
  }
  console.log(`Outpost collector listening on ${collector.url} (data: ${dataDir})`)
  const unregister = registerIpcApi(collector.api, isTrustedSender)
  createMainWindow(APP_FILES)
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createMainWindow(APP_FILES)
  })

  let closed = false
  app.on('before-quit', (event) => {
    if (closed) return
    event.preventDefault()
    unregister()
    void collector.close().finally(() => {
      closed = true
      app.quit()
    })
  })
}

if (!app.requestSingleInstanceLock()) app.quit()
else {
  app.on('second-instance', () => {
    const [window] = BrowserWindow.getAllWindows()
    if (window) {
      if (window.isMinimized()) window.restore()
      window.focus()
    }
  })
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit()
  })
  void app.whenReady().then(start)
}
