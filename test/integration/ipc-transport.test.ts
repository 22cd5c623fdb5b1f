import { userInfo } from 'node:os'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { OutpostApi } from '../../src/shared/api'
import { startMockWhisperr, type MockWhisperr } from '../mocks/whisperr'
import { startTestCollector, type TestCollector } from '../support/collector'
import { eventually } from '../support/temp'
import { whisperrEvent } from '../support/whisperr-events'

/**
 * The IPC transport without the Electron binary: `electron` is replaced by a stand-in that
 * routes ipcRenderer.invoke to the handlers ipcMain registered, so the real preload, the real
 * IPC registration and the real service run end to end.
 */
const electron = vi.hoisted(() => {
  type Handler = (event: unknown, input: unknown) => Promise<unknown>
  const handlers = new Map<string, Handler>()
  const exposed: Record<string, unknown> = {}
  const sender = { trusted: true }
  return {
    handlers,
    exposed,
    sender,
    module: {
      ipcMain: {
        handle: (channel: string, handler: Handler) => handlers.set(channel, handler),
        removeHandler: (channel: string) => handlers.delete(channel)
      },
      ipcRenderer: {
        invoke: (channel: string, input: unknown) => {
          const handler = handlers.get(channel)
          if (!handler) throw new Error(`No handler registered for '${channel}'`)
          return handler({ sender: { ...sender } }, input)
        }
      },
      contextBridge: {
        exposeInMainWorld: (name: string, api: unknown) => {
          exposed[name] = api
        }
      }
    }
  }
})
vi.mock('electron', () => electron.module)

describe('the IPC transport (preload -> ipcMain -> service)', () => {
  let upstream: MockWhisperr
  let outpost: TestCollector
  let unregister: () => void
  let api: OutpostApi

  beforeAll(async () => {
    upstream = await startMockWhisperr({ apiKey: 'k' })
    outpost = await startTestCollector({
      destinations: [{ id: 'whisperr', vendor: 'whisperr', baseUrl: upstream.url, apiKey: 'k' }]
    })
    const { registerIpcApi } = await import('../../src/main/admin/ipc')
    unregister = registerIpcApi(
      outpost.collector.api,
      (event) => (event as unknown as { sender: { trusted: boolean } }).sender.trusted
    )
    await import('../../src/preload/index')
    api = electron.exposed.outpost as OutpostApi
  })
  afterAll(async () => {
    unregister()
    await outpost.close()
    await upstream.close()
  })

  it('exposes exactly the contract, one fixed function per method', async () => {
    const { apiMethods } = await import('../../src/shared/api')
    expect(Object.keys(api).sort()).toEqual([...apiMethods].sort())
    expect(Object.values(api).every((value) => typeof value === 'function')).toBe(true)
  })

  it('answers through the envelope, and turns refusals into errors with their code and fields', async () => {
    await outpost.post('/whisperr/v1/events/track', whisperrEvent())
    await eventually(async () => expect((await api.getStats({})).counts.sent).toBe(1))

    await expect(api.getEvent({ id: 'one' as unknown as number })).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringMatching(/Invalid input for getEvent/)
    })
    await expect(api.pauseDestination({ id: 'nowhere' })).rejects.toMatchObject({ code: 'not_found' })
  })

  it('records corrections made in the app under the OS user, and passes the vendor problems back', async () => {
    upstream.failNext(1, { type: 'status', status: 422 })
    const event = whisperrEvent()
    await outpost.post('/whisperr/v1/events/track', event)
    const id = await eventually(async () => {
      const [failed] = (await api.listEvents({ status: 'failed' })).events
      expect(failed).toBeDefined()
      return failed!.id
    })
    await expect(
      api.editPayload({ id, payload: { ...event, event_type: 'Bad Name' } })
    ).rejects.toMatchObject({
      code: 'invalid_input',
      problems: [{ field: 'event_type', reason: expect.stringMatching(/snake_case/) }]
    })
    const edited = await api.editPayload({ id, payload: { ...event, properties: { fixed: true } } })
    expect(edited.history[0]).toMatchObject({ action: 'edit', actor: `desktop app (${userInfo().username})` })
  })

  it('refuses a call from a frame that is not the app window', async () => {
    electron.sender.trusted = false
    try {
      await expect(api.getStats({})).rejects.toMatchObject({
        code: 'unauthorized',
        message: 'Untrusted sender'
      })
    } finally {
      electron.sender.trusted = true
    }
  })
})
