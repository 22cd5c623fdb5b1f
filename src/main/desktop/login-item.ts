import { join } from 'node:path'
import { app } from 'electron'
import { HIDDEN_FLAG, xdgAutostart, type LoginItem } from './autostart'

const UNSUPPORTED: LoginItem = { supported: false, isEnabled: () => false, setEnabled: () => undefined }

/** Start at login through the OS's own mechanism; only an installed app can register itself. */
export function loginItem(): LoginItem {
  // Unpackaged, the executable is Electron itself and would start without our app.
  if (!app.isPackaged) return UNSUPPORTED
  if (process.platform === 'linux') {
    // An AppImage runs from a temporary mount: register the image file itself.
    const executable = process.env.APPIMAGE ?? process.execPath
    return xdgAutostart(join(app.getPath('appData'), 'autostart', 'outpost.desktop'), executable)
  }
  return {
    supported: true,
    isEnabled: () => app.getLoginItemSettings().openAtLogin,
    setEnabled: (enabled) => app.setLoginItemSettings({ openAtLogin: enabled, args: [HIDDEN_FLAG] })
  }
}

/** True when this start came from the login item: the collector runs, the window waits. */
export function startedAtLogin(): boolean {
  if (process.argv.includes(HIDDEN_FLAG)) return true
  return process.platform === 'darwin' && app.getLoginItemSettings().wasOpenedAtLogin
}
