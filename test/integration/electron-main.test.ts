import { existsSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { MenuItemConstructorOptions } from 'electron'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { apiContract, apiMethods, type Envelope } from '../../src/shared/api'
import { eventually, tempDir } from '../support/temp'
import { whisperrEvent } from '../support/whisperr-events'

/**
 * The Electron entry (src/main/index.ts) over a stand-in `electron` module, for machines without
 * the Electron binary: the real start-up, window options, IPC wiring, tray, window-all-closed and
 * quit run, with the real collector on 127.0.0.1:0. The smoke test in test/e2e runs real Electron.
 */
const fake = vi.hoisted(() => {
  type Listener = (...args: unknown[]) => void
  type HeadersListener = (
    details: { url: string; responseHeaders?: Record<string, string[]> },
    callback: (response: { responseHeaders?: Record<string, string[]> }) => void
  ) => void
  function emitter() {
    const listeners = new Map<string, Listener[]>()
    return {
      on(name: string, listener: Listener) {
        listeners.set(name, [...(listeners.get(name) ?? []), listener])
        return this
      },
      once(name: string, listener: Listener) {
        return this.on(name, listener)
      },
      emit(name: string, ...args: unknown[]) {
        for (const listener of listeners.get(name) ?? []) listener(...args)
      },
      count: (name: string) => (listeners.get(name) ?? []).length
    }
  }

  const state = { quitRequests: 0, quit: false, exitCode: null as number | null }
  const app = Object.assign(emitter(), {
    isPackaged: false,
    requestSingleInstanceLock: () => true,
    whenReady: () => Promise.resolve(),
    getPath: (name: string) => `/nonexistent/${name}`,
    getLoginItemSettings: () => ({ openAtLogin: false, wasOpenedAtLogin: false }),
    exit: (code: number) => {
      state.exitCode = code
    },
    // As Electron does: before-quit first, and only an unprevented one quits.
    quit: () => {
      state.quitRequests++
      let prevented = false
      app.emit('before-quit', { preventDefault: () => (prevented = true) })
      if (!prevented) state.quit = true
    }
  })

  const windows: FakeWindow[] = []
  class FakeWindow {
    static getAllWindows = () => [...windows]
    events = emitter()
    loaded: string | null = null
    permissionRequest:
      ((contents: unknown, permission: string, answer: (ok: boolean) => void) => void) | null = null
    headersReceived: HeadersListener | null = null
    contentsEvents = emitter()
    webContents = {
      session: {
        setPermissionRequestHandler: (handler: FakeWindow['permissionRequest']) =>
          (this.permissionRequest = handler),
        setPermissionCheckHandler: () => undefined,
        webRequest: {
          onHeadersReceived: (listener: HeadersListener) => (this.headersReceived = listener)
        }
      },
      setWindowOpenHandler: () => undefined,
      on: (name: string, listener: Listener) => this.contentsEvents.on(name, listener)
    }
    constructor(readonly options: { webPreferences: Record<string, unknown> }) {
      windows.push(this)
    }
    once = (name: string, listener: () => void) => this.events.once(name, listener)
    loadFile = async (file: string) => {
      this.loaded = file
    }
    loadURL = async (url: string) => {
      this.loaded = url
    }
    isMinimized = () => false
    restore = () => undefined
    show = () => undefined
    focus = () => undefined
    close = () => {
      windows.splice(windows.indexOf(this), 1)
      if (windows.length === 0) app.emit('window-all-closed')
    }
  }

  const trays: { menu: MenuItemConstructorOptions[]; tooltip: string; image: string; destroyed: boolean }[] =
    []
  class FakeTray {
    record = { menu: [] as MenuItemConstructorOptions[], tooltip: '', image: '', destroyed: false }
    constructor() {
      trays.push(this.record)
    }
    setToolTip = (text: string) => (this.record.tooltip = text)
    setImage = (image: { file: string }) => (this.record.image = image.file)
    setContextMenu = (menu: { template: MenuItemConstructorOptions[] }) => (this.record.menu = menu.template)
    on = () => undefined
    destroy = () => (this.record.destroyed = true)
  }

  const ipcHandlers = new Map<string, unknown>()
  return {
    state,
    windows,
    trays,
    ipcHandlers,
    module: {
      app,
      BrowserWindow: FakeWindow,
      Tray: FakeTray,
      Menu: { buildFromTemplate: (template: unknown) => ({ template }) },
      nativeImage: { createFromPath: (file: string) => ({ file, resize: () => ({ file }) }) },
      dialog: { showErrorBox: () => undefined },
      shell: { openExternal: async () => undefined, openPath: async () => '' },
      safeStorage: { isEncryptionAvailable: () => false, getSelectedStorageBackend: () => 'basic_text' },
      ipcMain: {
        handle: (channel: string, handler: unknown) => ipcHandlers.set(channel, handler),
        removeHandler: (channel: string) => ipcHandlers.delete(channel)
      }
    }
  }
})
vi.mock('electron', () => fake.module)

describe('the Electron entry over a stand-in electron module', () => {
  const dir = tempDir('outpost-electron-main')
  let url = ''

  beforeAll(async () => {
    writeFileSync(
      join(dir.path, 'outpost.json'),
      JSON.stringify({
        ingest: { host: '127.0.0.1', port: 0 },
        destinations: [{ id: 'whisperr', vendor: 'whisperr' }]
      })
    )
    process.env.OUTPOST_DATA_DIR = dir.path
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined)
    await import('../../src/main/index')
    url = await eventually(() => {
      const line = log.mock.calls.map((call) => String(call[0])).find((text) => text.includes('listening on'))
      const found = /listening on (http:\/\/[\d.:]+)/.exec(line ?? '')?.[1]
      if (!found) throw new Error('the collector has not started')
      return found
    })
    log.mockRestore()
  })
  afterAll(() => dir.remove())

  const track = () =>
    fetch(`${url}/whisperr/v1/events/track`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(whisperrEvent())
    }).then((response) => response.status)
  const trayItem = (label: string) => {
    const item = fake.trays[0]?.menu.find((entry) => entry.label === label)
    if (!item?.click) throw new Error(`no tray item "${label}"`)
    return () => (item.click as () => void)()
  }

  it('opens one isolated, sandboxed window, answers IPC for every method, and starts the tray', () => {
    expect(fake.windows).toHaveLength(1)
    expect(fake.windows[0]?.options.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false
    })
    expect(fake.windows[0]?.loaded).toMatch(/renderer[/\\]index\.html$/)
    const answers: Record<string, boolean> = {}
    for (const permission of ['clipboard-sanitized-write', 'media']) {
      fake.windows[0]?.permissionRequest?.(null, permission, (ok) => (answers[permission] = ok))
    }
    expect(answers).toEqual({ 'clipboard-sanitized-write': true, media: false })
    expect(fake.ipcHandlers.size).toBe(apiMethods.length)
    expect(fake.trays).toHaveLength(1)
    expect(fake.trays[0]?.tooltip).toMatch(/^Outpost: /)
    // No key yet is a choice, not an alarm: the calm icon.
    expect(fake.trays[0]?.image).toMatch(/resources[/\\]icon\.png$/)
  })

  /** The window's own page, as Chromium names it. */
  const appPage = () => pathToFileURL(fake.windows[0]?.loaded as string).href
  const navigationAllowed = (url: string) => {
    let prevented = false
    fake.windows[0]?.contentsEvents.emit('will-navigate', { preventDefault: () => (prevented = true) }, url)
    return !prevented
  }
  const statsAskedBy = (frameUrl: string) => {
    const handler = fake.ipcHandlers.get(apiContract.getStats.channel) as (
      event: unknown,
      input: unknown
    ) => Promise<Envelope<unknown>>
    return handler({ senderFrame: { url: frameUrl, parent: null } }, {})
  }
  const headersOfResponse = (url: string) => {
    const listener = fake.windows[0]?.headersReceived
    if (!listener) throw new Error('the window set no response-header listener')
    return new Promise<Record<string, string[]> | undefined>((resolve) =>
      listener({ url, responseHeaders: { 'last-modified': ['x'] } }, (answer) =>
        resolve(answer.responseHeaders)
      )
    )
  }
  /** Pages that are files too, but not the app's. */
  const otherFiles = () => [
    pathToFileURL(join(dir.path, 'index.html')).href,
    pathToFileURL(join(dirname(fake.windows[0]?.loaded as string), 'other.html')).href,
    'file:///etc/passwd',
    appPage().replace('file:///', 'file://fileserver/')
  ]

  it("trusts only the app's own page for navigation, whatever its fragment or query", () => {
    for (const url of [appPage(), `${appPage()}#/events`, `${appPage()}?view=rejected`]) {
      expect(navigationAllowed(url), url).toBe(true)
    }
    expect(navigationAllowed(appPage().replace('/renderer/', '/renderer/../renderer/'))).toBe(true)
    for (const url of [...otherFiles(), 'https://example.com/', 'data:text/html,<p>x</p>']) {
      expect(navigationAllowed(url), url).toBe(false)
    }
  })

  it("answers IPC from the app's own page only, not from another file", async () => {
    expect(await statsAskedBy(`${appPage()}#/`)).toMatchObject({ ok: true })
    for (const url of otherFiles()) {
      expect(await statsAskedBy(url), url).toMatchObject({ ok: false, error: { status: 403 } })
    }
  })

  it("sends the CSP as a response header on the app's own page, and on no other", async () => {
    const headers = await headersOfResponse(appPage())
    expect(headers?.['Content-Security-Policy']?.[0]).toMatch(/default-src 'self'; script-src 'self'/)
    expect(headers?.['Content-Security-Policy']?.[0]).toMatch(/frame-ancestors 'none'/)
    expect(headers?.['last-modified']).toEqual(['x'])
    for (const url of otherFiles()) expect(await headersOfResponse(url), url).toBeUndefined()
  })

  it('keeps collecting with its window closed, and the tray brings a window back', async () => {
    expect(await track()).toBe(202)
    fake.windows[0]?.close()
    expect(fake.windows).toHaveLength(0)
    expect(fake.state.quitRequests).toBe(0)
    expect(await track()).toBe(202)
    trayItem('Open Outpost')()
    expect(fake.windows).toHaveLength(1)
  })

  it('quits from the tray only after the collector has closed and freed its data folder', async () => {
    expect(existsSync(join(dir.path, 'outpost.lock'))).toBe(true)
    trayItem('Quit Outpost (stops collecting)')()
    await eventually(() => expect(fake.state.quit).toBe(true))
    expect(fake.state.quitRequests).toBe(2)
    expect(fake.trays[0]?.destroyed).toBe(true)
    expect(existsSync(join(dir.path, 'outpost.lock'))).toBe(false)
    await expect(track()).rejects.toThrow()
    expect(fake.state.exitCode).toBeNull()
  })
})
