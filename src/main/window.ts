import { BrowserWindow, shell, type IpcMainInvokeEvent, type Session } from 'electron'
import { appEntryOf, isAppUrl, type AppEntry } from './desktop/app-entry'
import { isPermissionGranted } from './desktop/permissions'
import { RENDERER_CSP } from './renderer-csp'

export interface AppFiles {
  preload: string
  rendererHtml: string
}

/** Read when used, not at load: the dev server is electron-vite's, named in the environment. */
function appEntry(files: AppFiles): AppEntry {
  return appEntryOf(files.rendererHtml, process.env.ELECTRON_RENDERER_URL)
}

/** The app's own page gets its CSP as a response header (the meta tag alone cannot set all of it). */
function sendCspHeader(session: Session, entry: AppEntry): void {
  session.webRequest.onHeadersReceived((details, callback) => {
    if (!isAppUrl(details.url, entry)) return callback({})
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [RENDERER_CSP] } })
  })
}

/** The main window: isolated, sandboxed, no Node; navigation and new windows are refused. */
export function createMainWindow(files: AppFiles): BrowserWindow {
  const entry = appEntry(files)
  const window = new BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 900,
    minHeight: 560,
    show: false,
    title: 'Outpost',
    autoHideMenuBar: true,
    webPreferences: {
      preload: files.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true
    }
  })
  window.once('ready-to-show', () => window.show())
  const { session } = window.webContents
  session.setPermissionRequestHandler((_contents, permission, answer) =>
    answer(isPermissionGranted(permission))
  )
  session.setPermissionCheckHandler((_contents, permission) => isPermissionGranted(permission))
  sendCspHeader(session, entry)
  window.webContents.setWindowOpenHandler(({ url }) => {
    if (/^https:\/\//.test(url)) void shell.openExternal(url)
    return { action: 'deny' }
  })
  window.webContents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url, entry)) event.preventDefault()
  })
  if ('devServerUrl' in entry) void window.loadURL(entry.devServerUrl)
  else void window.loadFile(entry.file)
  return window
}

/** IPC answers only our window's top frame, showing our own page. */
export function isTrustedSender(event: IpcMainInvokeEvent, files: AppFiles): boolean {
  const frame = event.senderFrame
  return frame !== null && frame.parent === null && isAppUrl(frame.url, appEntry(files))
}
