import { userInfo } from 'node:os'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { apiMethods, type OutpostApi } from '../../src/shared/api'
import {
  ApiRequestError,
  describeError,
  isRefusedByCollector,
  isUnauthorized
} from '../../src/shared/api-error'
import { createBridgeClient, type OutpostBridge } from '../../src/shared/bridge-client'
import { startMockWhisperr, type MockWhisperr } from '../mocks/whisperr'
import { startTestCollector, type TestCollector } from '../support/collector'
import { eventually } from '../support/temp'
import { messageIdOf, whisperrEvent } from '../support/whisperr-events'

/**
 * The IPC transport without the Electron binary: `electron` is replaced by a stand-in that
 * routes ipcRenderer.invoke to the handlers ipcMain registered, so the real preload, the real
 * IPC registration and the real service run end to end. Values cross as they do in Electron:
 * IPC and the contextBridge copy them by structured clone (a function cannot cross as a value),
 * and an Error crossing either keeps only its message.
 */
const electron = vi.hoisted(() => {
  type Handler = (event: unknown, input: unknown) => Promise<unknown>
  const handlers = new Map<string, Handler>()
  const exposed: Record<string, unknown> = {}
  const sender = { trusted: true }

  const copied = (value: unknown): unknown =>
    value instanceof Error ? new Error(value.message) : structuredClone(value)
  const copiedError = (error: unknown): unknown => {
    throw copied(error)
  }
  /** The main world's side of an exposed function: arguments and results are copies. */
  const bridged =
    (fn: (...args: unknown[]) => unknown) =>
    (...args: unknown[]): unknown => {
      let result: unknown
      try {
        result = fn(...args.map(copied))
      } catch (error) {
        return copiedError(error)
      }
      return result instanceof Promise ? result.then(copied, copiedError) : copied(result)
    }

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
        invoke: async (channel: string, input: unknown) => {
          const handler = handlers.get(channel)
          if (!handler) throw new Error(`No handler registered for '${channel}'`)
          try {
            return structuredClone(await handler({ sender: { ...sender } }, structuredClone(input)))
          } catch (error) {
            throw new Error(`Error invoking remote method '${channel}': ${(error as Error).message}`)
          }
        }
      },
      contextBridge: {
        exposeInMainWorld: (name: string, api: Record<string, unknown>) => {
          exposed[name] = Object.fromEntries(
            Object.entries(api).map(([key, value]) => [
              key,
              typeof value === 'function' ? bridged(value as (...args: unknown[]) => unknown) : copied(value)
            ])
          )
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
  /** What the renderer's main world sees as window.outpost. */
  let bridge: OutpostBridge
  /** What the renderer calls: src/renderer/src/api.ts wraps the bridge the same way. */
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
    bridge = electron.exposed.outpost as OutpostBridge
    api = createBridgeClient(bridge)
  })
  afterAll(async () => {
    unregister()
    await outpost.close()
    await upstream.close()
  })

  /** A Whisperr event the vendor refused (422), so it is failed and editable. */
  async function failedEvent() {
    upstream.failNext(1, { type: 'status', status: 422 })
    const event = whisperrEvent()
    await outpost.post('/whisperr/v1/events/track', event)
    const id = await eventually(async () => {
      const { events } = await api.listEvents({ status: 'failed', search: messageIdOf(event) })
      expect(events).toHaveLength(1)
      return events[0]!.id
    })
    return { id, event }
  }

  it('exposes exactly the contract, one fixed function per method', () => {
    expect(Object.keys(bridge).sort()).toEqual([...apiMethods].sort())
    expect(Object.values(bridge).every((value) => typeof value === 'function')).toBe(true)
  })

  it('answers through the envelope, and turns refusals into errors with their code and status', async () => {
    await outpost.post('/whisperr/v1/events/track', whisperrEvent())
    await eventually(async () => expect((await api.getStats({})).counts.sent).toBe(1))

    await expect(api.getEvent({ id: 'one' as unknown as number })).rejects.toMatchObject({
      status: 400,
      code: 'invalid_input',
      message: expect.stringMatching(/Invalid input for getEvent/)
    })
    await expect(api.pauseDestination({ id: 'nowhere' })).rejects.toMatchObject({
      status: 404,
      code: 'not_found'
    })
  })

  it('gives the renderer an edit the vendor refuses as the same ApiRequestError, problems and all, as HTTP does', async () => {
    const { id, event } = await failedEvent()
    const refusedEdit = { id, payload: JSON.stringify({ ...event, event_type: 'Bad Name' }) }
    const overIpc = await api.editPayload(refusedEdit).catch((error: unknown) => error)
    const overHttp = await outpost.api.editPayload(refusedEdit).catch((error: unknown) => error)

    expect(overIpc).toBeInstanceOf(ApiRequestError)
    expect(overIpc).toMatchObject({
      status: 400,
      code: 'invalid_input',
      problems: [{ field: 'event_type', reason: expect.stringMatching(/snake_case/) }]
    })
    const { message, status, code, problems } = overHttp as ApiRequestError
    expect(overIpc).toMatchObject({ message, status, code, problems })
    for (const error of [overIpc, overHttp]) {
      expect(isRefusedByCollector(error)).toBe(true)
      expect(isUnauthorized(error)).toBe(false)
      expect(describeError(error)).toBe(message)
    }
  })

  it('records corrections made in the app under the OS user', async () => {
    const { id, event } = await failedEvent()
    // JSON text crosses the bridge as written: a parsed value would lose the big integer's digits.
    const text = JSON.stringify({ ...event, properties: { fixed: true, seats: 0 } }).replace(
      '"seats":0',
      '"seats":12345678901234567890'
    )
    const edited = await api.editPayload({ id, payload: text })
    expect(edited.history[0]).toMatchObject({ action: 'edit', actor: `desktop app (${userInfo().username})` })
    expect(edited.payload).toBe(text)
  })

  it('refuses a call from a frame that is not the app window, without asking for a token', async () => {
    electron.sender.trusted = false
    try {
      const refusal = await api.getStats({}).catch((error: unknown) => error)
      expect(refusal).toMatchObject({ status: 403, code: 'unauthorized', message: 'Untrusted sender' })
      expect(isUnauthorized(refusal)).toBe(false)
    } finally {
      electron.sender.trusted = true
    }
  })
})
