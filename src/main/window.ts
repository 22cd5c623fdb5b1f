import { BrowserWindow, shell, type IpcMainInvokeEvent } from 'electron'
import { isPermissionGranted } from './desktop/permissions'

const DEV_SERVER_URL = process.env.ELECTRON_RENDERER_URL

function isAppUrl(url: string): boolean {
  if (DEV_SERVER_URL) return url.startsWith(DEV_SERVER_URL)
  return url.startsWith('file://')
}

export interface AppFiles {
  preload: string
  rendererHtml: string
}

/** The main window: isolated, sandboxed, no Node; navigation and new windows are refused. */
export function createMainWindow(files: AppFiles): BrowserWindow {
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
  window.webContents.setWindowOpenHandler(({ url }) => {
    if (/^https:\/\//.test(url)) void shell.openExternal(url)
    return { action: 'deny' }
  })
  window.webContents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault()
  })
  if (DEV_SERVER_URL) void window.loadURL(DEV_SERVER_URL)
  else void window.loadFile(files.rendererHtml)
  return window
}

/** IPC answers only our window's top frame, loaded from our own files. */
export function isTrustedSender(event: IpcMainInvokeEvent): boolean {
  const frame = event.senderFrame
  return frame !== null && frame.parent === null && isAppUrl(frame.url)
}
