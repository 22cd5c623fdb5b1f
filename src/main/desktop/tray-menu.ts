import type { MenuItemConstructorOptions } from 'electron'
import type { DestinationHold, Stats } from '@shared/model'

/**
 * What the tray shows, as plain data: the tray is the only sight of Outpost on a kiosk whose
 * window is closed, so it says at a glance whether events wait, fail, or a destination is held.
 */

export interface TrayActions {
  openWindow(): void
  /** Shows the data folder (outpost.json, the outbox) in the file manager. */
  openDataFolder(): void
  syncNow(): void
  setOpenAtLogin(enabled: boolean): void
  quit(): void
}

export interface LoginItemState {
  /** False where Outpost cannot register itself (an unpackaged development build). */
  supported: boolean
  enabled: boolean
}

const HOLD_WORDS: Record<NonNullable<DestinationHold>, string> = {
  not_configured: 'no API key',
  paused: 'paused',
  auth: 'API key refused, retrying',
  offline: 'offline, retrying'
}

/** One line for the tooltip and the head of the menu. */
export function trayStatus(stats: Stats | null): string {
  if (!stats) return 'Outpost: starting…'
  const { queued, sending, retrying, failed } = stats.counts
  const waiting = queued + sending + retrying
  const parts = [waiting === 0 ? 'nothing waiting' : `${waiting} waiting`]
  if (failed > 0) parts.push(`${failed} failed`)
  return `Outpost: ${parts.join(', ')}`
}

/**
 * Whether the tray should show its alert icon: events failed, or a destination cannot deliver
 * (key refused, offline). A destination without a key yet, or paused by a person, is a choice,
 * not an alarm: a fresh install would otherwise be red from the start.
 */
export function needsAttention(stats: Stats | null): boolean {
  if (!stats) return false
  if (stats.counts.failed > 0) return true
  return stats.destinations.some(
    (destination) => destination.hold === 'auth' || destination.hold === 'offline'
  )
}

/** One line per destination that is not delivering, e.g. `userflux: offline, retrying`. */
export function heldDestinations(stats: Stats | null): string[] {
  return (stats?.destinations ?? []).flatMap((destination) =>
    destination.hold ? [`${destination.id}: ${HOLD_WORDS[destination.hold]}`] : []
  )
}

export function trayMenuTemplate(
  stats: Stats | null,
  login: LoginItemState,
  actions: TrayActions
): MenuItemConstructorOptions[] {
  return [
    { label: trayStatus(stats), enabled: false },
    ...heldDestinations(stats).map((line) => ({ label: line, enabled: false })),
    { type: 'separator' },
    { label: 'Open Outpost', click: () => actions.openWindow() },
    { label: 'Sync now', click: () => actions.syncNow() },
    { label: 'Open data folder', click: () => actions.openDataFolder() },
    { type: 'separator' },
    {
      label: login.supported ? 'Start at login' : 'Start at login (installed app only)',
      type: 'checkbox',
      checked: login.enabled,
      enabled: login.supported,
      click: (item) => actions.setOpenAtLogin(item.checked)
    },
    { type: 'separator' },
    // Quitting stops the collector: apps sending to it then get no answer.
    { label: 'Quit Outpost (stops collecting)', click: () => actions.quit() }
  ]
}
