import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'

/**
 * Start at login on Linux, where Electron's login-item API does nothing: an XDG autostart
 * entry (`~/.config/autostart/outpost.desktop`), the way desktop environments start programs.
 */

export interface LoginItem {
  supported: boolean
  isEnabled(): boolean
  setEnabled(enabled: boolean): void
}

/** The argument that makes Outpost start in the tray, without its window. */
export const HIDDEN_FLAG = '--hidden'

/**
 * An argument quoted for a desktop entry's Exec key: the quoting rule escapes `"`, `` ` ``, `$`
 * and `\`; the string-value rule, applied on top, escapes `\` again; `%` starts a field code.
 */
export function execArgument(argument: string): string {
  const quoted = `"${argument.replace(/(["`$\\])/g, '\\$1')}"`
  return quoted.replace(/\\/g, '\\\\').replace(/%/g, '%%')
}

export function desktopEntry(executable: string): string {
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=Outpost',
    'Comment=Offline-first event collector',
    `Exec=${execArgument(executable)} ${HIDDEN_FLAG}`,
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    ''
  ].join('\n')
}

export function xdgAutostart(entryFile: string, executable: string): LoginItem {
  return {
    supported: true,
    isEnabled: () => existsSync(entryFile),
    setEnabled(enabled) {
      if (!enabled) return rmSync(entryFile, { force: true })
      mkdirSync(dirname(entryFile), { recursive: true })
      writeFileSync(entryFile, desktopEntry(executable))
    }
  }
}
