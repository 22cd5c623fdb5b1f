import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'
import type { MenuItemConstructorOptions } from 'electron'
import { appEntryOf, isAppUrl } from '../../src/main/desktop/app-entry'
import { desktopEntry, execArgument, HIDDEN_FLAG, xdgAutostart } from '../../src/main/desktop/autostart'
import { isPermissionGranted } from '../../src/main/desktop/permissions'
import {
  needsAttention,
  trayMenuTemplate,
  trayStatus,
  type TrayActions
} from '../../src/main/desktop/tray-menu'
import type { DestinationSummary, Stats, StatusCounts } from '../../src/shared/model'
import { tempDir } from '../support/temp'

const counts = (partial: Partial<StatusCounts> = {}): StatusCounts => ({
  queued: 0,
  sending: 0,
  retrying: 0,
  failed: 0,
  sent: 0,
  discarded: 0,
  ...partial
})

const destination = (id: string, hold: DestinationSummary['hold']): DestinationSummary => ({
  id,
  vendor: id,
  vendorLabel: id,
  baseUrl: 'http://127.0.0.1:9',
  ingestUrl: `http://127.0.0.1:8787/${id}`,
  fedBy: [],
  configured: hold !== 'not_configured',
  keySource: hold === 'not_configured' ? null : 'config',
  keysEncrypted: false,
  paused: hold === 'paused',
  hold,
  holdReason: null,
  counts: counts(),
  nextAttemptAt: null,
  lastSuccessAt: null
})

const stats = (partial: Partial<StatusCounts>, destinations: DestinationSummary[] = []): Stats => ({
  counts: counts(partial),
  destinations,
  rejections: { count: 0, lastId: 0 },
  searchBacklog: 0,
  version: 1,
  startedAt: '2026-11-24T09:00:00.000Z',
  deviceId: 'kiosk-7'
})

function recordingActions() {
  const calls: string[] = []
  const actions: TrayActions = {
    openWindow: () => calls.push('open'),
    openDataFolder: () => calls.push('folder'),
    syncNow: () => calls.push('sync'),
    setOpenAtLogin: (enabled) => calls.push(`login:${enabled}`),
    quit: () => calls.push('quit')
  }
  return { calls, actions }
}

const labels = (template: MenuItemConstructorOptions[]) =>
  template.filter((item) => item.type !== 'separator').map((item) => item.label)

const click = (item: MenuItemConstructorOptions | undefined, checked = false) =>
  (item?.click as (menuItem: { checked: boolean }) => void)({ checked })

describe('tray status', () => {
  it('counts what waits and what failed', () => {
    expect(trayStatus(null)).toBe('Outpost: starting…')
    expect(trayStatus(stats({ sent: 40 }))).toBe('Outpost: nothing waiting')
    expect(trayStatus(stats({ queued: 3, sending: 1, retrying: 2, failed: 1, sent: 9 }))).toBe(
      'Outpost: 6 waiting, 1 failed'
    )
  })

  it('names each held destination in the menu, and offers the actions', () => {
    const { calls, actions } = recordingActions()
    const current = stats({ queued: 2 }, [
      destination('whisperr', null),
      destination('userflux', 'offline'),
      destination('flywheel', 'auth')
    ])
    const template = trayMenuTemplate(current, { supported: true, enabled: false }, actions)
    expect(labels(template)).toEqual([
      'Outpost: 2 waiting',
      'userflux: offline, retrying',
      'flywheel: API key refused, retrying',
      'Open Outpost',
      'Sync now',
      'Open data folder',
      'Start at login',
      'Quit Outpost (stops collecting)'
    ])
    const byLabel = (label: string) => template.find((item) => item.label === label)
    click(byLabel('Open Outpost'))
    click(byLabel('Sync now'))
    click(byLabel('Open data folder'))
    click(byLabel('Start at login'), true)
    click(byLabel('Quit Outpost (stops collecting)'))
    expect(calls).toEqual(['open', 'sync', 'folder', 'login:true', 'quit'])
  })

  it('asks for attention for failed events, a refused key or no network, not for a setup or a pause', () => {
    expect(needsAttention(null)).toBe(false)
    expect(
      needsAttention(stats({ queued: 5 }, [destination('a', 'not_configured'), destination('b', 'paused')]))
    ).toBe(false)
    expect(needsAttention(stats({ failed: 1 }))).toBe(true)
    expect(needsAttention(stats({}, [destination('a', 'auth')]))).toBe(true)
    expect(needsAttention(stats({}, [destination('a', 'offline')]))).toBe(true)
  })

  it('greys out start at login where the app cannot register itself', () => {
    const { actions } = recordingActions()
    const item = trayMenuTemplate(null, { supported: false, enabled: false }, actions).find(
      (entry) => entry.type === 'checkbox'
    )
    expect(item).toMatchObject({
      label: 'Start at login (installed app only)',
      enabled: false,
      checked: false
    })
  })
})

describe('window permissions', () => {
  it('grants the clipboard write Copy JSON needs, and nothing else', () => {
    expect(isPermissionGranted('clipboard-sanitized-write')).toBe(true)
    for (const permission of ['clipboard-read', 'media', 'notifications', 'geolocation', 'openExternal']) {
      expect(isPermissionGranted(permission)).toBe(false)
    }
  })
})

describe("the window's own page", () => {
  const rendererHtml = join('/opt', 'Outpost App', 'resources', 'app.asar', 'out', 'renderer', 'index.html')
  const built = appEntryOf(rendererHtml, undefined)
  const page = pathToFileURL(rendererHtml).href

  it('is the built index.html exactly, compared as a file, whatever its fragment or query', () => {
    expect(page).toContain('Outpost%20App')
    for (const url of [page, `${page}#/events`, `${page}?x=1#y`, page.replace('/out/', '/out/../out/')]) {
      expect(isAppUrl(url, built), url).toBe(true)
    }
    // The same file spelled with an escape is the same file.
    expect(isAppUrl(page.replace('index.html', '%69ndex.html'), built)).toBe(true)
  })

  it('is no other file, nothing on another host, and nothing that is not a URL', () => {
    for (const url of [
      pathToFileURL(join('/opt', 'Outpost App', 'resources', 'app.asar', 'out', 'renderer', 'other.html'))
        .href,
      pathToFileURL(join('/home', 'ann', 'Downloads', 'index.html')).href,
      page.replace('index.html', 'index.html%2F..%2Findex.html'),
      page.replace('file:///', 'file://fileserver/'),
      'file:///',
      'http://127.0.0.1:8787/',
      'not a url',
      ''
    ]) {
      expect(isAppUrl(url, built), url).toBe(false)
    }
  })

  it("in development is the dev server's origin exactly, not a name or port that starts like it", () => {
    const dev = appEntryOf(rendererHtml, 'http://localhost:5173')
    expect(isAppUrl('http://localhost:5173/', dev)).toBe(true)
    expect(isAppUrl('http://localhost:5173/src/main.tsx?t=1', dev)).toBe(true)
    for (const url of [
      'http://localhost:51730/',
      'http://localhost:5173.attacker.example/',
      'https://localhost:5173/',
      'http://127.0.0.1:5173/',
      page
    ]) {
      expect(isAppUrl(url, dev), url).toBe(false)
    }
  })
})

describe('Linux autostart entry', () => {
  it('quotes the executable as the desktop entry spec asks', () => {
    expect(execArgument('/opt/Outpost/outpost')).toBe('"/opt/Outpost/outpost"')
    expect(execArgument('/home/ann/My Apps/Outpost.AppImage')).toBe('"/home/ann/My Apps/Outpost.AppImage"')
    // `$` and `"` are escaped by the quoting rule, `\` twice (quoting, then string escapes), `%` doubled.
    expect(execArgument('/a/$b/"c"/d\\e/100%')).toBe('"/a/\\\\$b/\\\\"c\\\\"/d\\\\\\\\e/100%%"')
  })

  it('writes an entry that starts Outpost hidden, and removes it', () => {
    const dir = tempDir('outpost-autostart')
    try {
      const file = join(dir.path, 'autostart', 'outpost.desktop')
      const item = xdgAutostart(file, '/opt/Outpost/outpost')
      expect(item.isEnabled()).toBe(false)
      item.setEnabled(true)
      expect(item.isEnabled()).toBe(true)
      const entry = readFileSync(file, 'utf8')
      expect(entry).toBe(desktopEntry('/opt/Outpost/outpost'))
      expect(entry).toContain(`\nExec="/opt/Outpost/outpost" ${HIDDEN_FLAG}\n`)
      expect(entry.startsWith('[Desktop Entry]\nType=Application\nName=Outpost\n')).toBe(true)
      item.setEnabled(false)
      expect(item.isEnabled()).toBe(false)
      item.setEnabled(false)
    } finally {
      dir.remove()
    }
  })
})
