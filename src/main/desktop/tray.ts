import { Menu, nativeImage, shell, Tray } from 'electron'
import type { OutpostApi } from '@shared/api'
import type { Stats } from '@shared/model'
import iconPath from '../../../resources/icon.png?asset'
import alertIconPath from '../../../resources/icon-alert.png?asset'
import type { LoginItem } from './autostart'
import { needsAttention, trayMenuTemplate, trayStatus } from './tray-menu'

const REFRESH_MS = 5_000
// Linux panels draw tray icons at 22–24 px; macOS menu bar and Windows notification area at 16.
const ICON_SIZE = process.platform === 'linux' ? 24 : 16

export interface TrayOptions {
  api: OutpostApi
  login: LoginItem
  dataDir: string
  openWindow(): void
  quit(): void
}

/** The tray icon and menu, refreshed from the collector's stats; returns its disposer. */
export function createTray({ api, login, dataDir, openWindow, quit }: TrayOptions): () => void {
  const trayImage = (file: string) =>
    nativeImage.createFromPath(file).resize({ width: ICON_SIZE, height: ICON_SIZE })
  const icons = { calm: trayImage(iconPath), alert: trayImage(alertIconPath) }
  const tray = new Tray(icons.calm)
  let stats: Stats | null = null
  let shown = ''

  const render = () => {
    const template = trayMenuTemplate(
      stats,
      { supported: login.supported, enabled: login.isEnabled() },
      {
        openWindow,
        quit,
        openDataFolder: () => void shell.openPath(dataDir),
        syncNow: () => void api.syncNow({}),
        setOpenAtLogin: (enabled) => {
          login.setEnabled(enabled)
          render()
        }
      }
    )
    const alert = needsAttention(stats)
    // Rebuilding an unchanged menu makes some Linux panels flicker.
    const key = JSON.stringify([alert, template.map(({ label, checked }) => [label, checked])])
    if (key === shown) return
    shown = key
    tray.setImage(alert ? icons.alert : icons.calm)
    tray.setToolTip(trayStatus(stats))
    tray.setContextMenu(Menu.buildFromTemplate(template))
  }
  const refresh = async () => {
    stats = await api.getStats({}).catch(() => stats)
    render()
  }

  // macOS opens the menu on click; elsewhere a click is the quick way to the window.
  if (process.platform !== 'darwin') tray.on('click', openWindow)
  render()
  void refresh()
  const timer = setInterval(() => void refresh(), REFRESH_MS)
  return () => {
    clearInterval(timer)
    tray.destroy()
  }
}
