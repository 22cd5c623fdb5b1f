import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { userInfo } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { ActivityReport } from '../../src/shared/activity'
import { apiMethods, type OutpostApi } from '../../src/shared/api'
import type { ExportedEvent, ExportProgress, ImportProgress } from '../../src/shared/model'
import {
  ApiRequestError,
  describeError,
  isRefusedByCollector,
  isUnauthorized
} from '../../src/shared/api-error'
import { createBridgeClient, type OutpostBridge } from '../../src/shared/bridge-client'
import { startMockWhisperr, type MockWhisperr } from '../mocks/whisperr'
import { startTestCollector, type TestCollector } from '../support/collector'
import { eventually, tempDir } from '../support/temp'
import { messageIdOf, whisperrEvent } from '../support/whisperr-events'

/**
 * The IPC transport without the Electron binary: `electron` is replaced by a stand-in that
 * routes ipcRenderer.invoke to the handlers ipcMain registered, and a sender's messages to the
 * listeners ipcRenderer.on registered, so the real preload, the real IPC registration and the real
 * service run end to end. Values cross as they do in Electron: IPC copies them by structured clone,
 * the contextBridge too except functions, which it proxies (a listener, an unsubscribe), and an
 * Error crossing either keeps only its message.
 */
const electron = vi.hoisted(() => {
  type Handler = (event: unknown, input: unknown) => Promise<unknown>
  type Listener = (event: unknown, ...args: unknown[]) => void
  const handlers = new Map<string, Handler>()
  const listeners = new Map<string, Listener[]>()
  const exposed: Record<string, unknown> = {}
  const sender = { trusted: true }

  const copied = (value: unknown): unknown => {
    if (value instanceof Error) return new Error(value.message)
    if (typeof value === 'function') return bridged(value as (...args: unknown[]) => unknown)
    return structuredClone(value)
  }
  const copiedError = (error: unknown): unknown => {
    throw copied(error)
  }
  /** The other world's side of a function crossing the bridge: arguments and results are copies. */
  function bridged(fn: (...args: unknown[]) => unknown) {
    return (...args: unknown[]): unknown => {
      let result: unknown
      try {
        result = fn(...args.map(copied))
      } catch (error) {
        return copiedError(error)
      }
      return result instanceof Promise ? result.then(copied, copiedError) : copied(result)
    }
  }
  /** What main's handler gets as event.sender: the window's webContents. */
  const webContents = () => ({
    ...sender,
    isDestroyed: () => false,
    send: (channel: string, ...args: unknown[]) => {
      for (const listener of listeners.get(channel) ?? [])
        listener({}, ...args.map((a) => structuredClone(a)))
    }
  })

  return {
    handlers,
    listeners,
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
            return structuredClone(await handler({ sender: webContents() }, structuredClone(input)))
          } catch (error) {
            throw new Error(`Error invoking remote method '${channel}': ${(error as Error).message}`)
          }
        },
        on: (channel: string, listener: Listener) => {
          listeners.set(channel, [...(listeners.get(channel) ?? []), listener])
        },
        removeListener: (channel: string, listener: Listener) => {
          listeners.set(
            channel,
            (listeners.get(channel) ?? []).filter((candidate) => candidate !== listener)
          )
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
  /** What the stand-in save dialog was asked, and what it answers (null: cancelled). */
  const saveDialogs: { suggestedName: string; format: string }[] = []
  let savePath: string | null = null
  /** What the stand-in open dialog answers (null: cancelled), and how often it was asked. */
  let openPath: string | null = null
  let openDialogs = 0
  /** Resolved: the stand-in open dialog answers at once; a test may hold it open. */
  let openDialogAnswered = Promise.resolve()
  const dir = tempDir('outpost-ipc-export')

  beforeAll(async () => {
    upstream = await startMockWhisperr({ apiKey: 'k' })
    outpost = await startTestCollector({
      destinations: [{ id: 'whisperr', vendor: 'whisperr', baseUrl: upstream.url, apiKey: 'k' }]
    })
    const { registerIpcApi } = await import('../../src/main/admin/ipc')
    unregister = registerIpcApi(
      outpost.collector.api,
      (event) => (event as unknown as { sender: { trusted: boolean } }).sender.trusted,
      async (_event, suggestedName, format) => {
        saveDialogs.push({ suggestedName, format })
        return savePath
      },
      async () => {
        openDialogs++
        await openDialogAnswered
        return openPath
      }
    )
    await import('../../src/preload/index')
    bridge = electron.exposed.outpost as OutpostBridge
    api = createBridgeClient(bridge)
  })
  afterAll(async () => {
    unregister()
    await outpost.close()
    await upstream.close()
    dir.remove()
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

  it('exposes exactly the contract, one fixed function per method, and the export and import progress', () => {
    expect(Object.keys(bridge).sort()).toEqual([...apiMethods, 'onExportProgress', 'onImportProgress'].sort())
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

  it('gives the activity charts as the HTTP admin API does', async () => {
    await outpost.post('/whisperr/v1/events/track', whisperrEvent())
    const total = (report: ActivityReport, field: 'received' | 'delivered') =>
      report.destinations[0]!.buckets.reduce((sum, bucket) => sum + bucket[field], 0)
    // Once all is delivered, nothing changes between the two reads.
    const overIpc = await eventually(async () => {
      const report = await api.getActivity({ range: 'day' })
      expect(total(report, 'received')).toBeGreaterThan(0)
      expect(total(report, 'delivered')).toBe(total(report, 'received'))
      return report
    })
    expect(overIpc).toMatchObject({ range: 'day', bucketMs: 15 * 60_000 })
    expect(overIpc).toEqual(await outpost.api.getActivity({ range: 'day' }))
    await expect(api.getActivity({ range: 'week' as 'day' })).rejects.toMatchObject({ status: 400 })
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

  it("previews an event's requests over IPC as over HTTP, the key masked unless asked for", async () => {
    const { id } = await failedEvent()
    for (const revealKey of [false, true]) {
      const overIpc = await api.previewUpstreamRequest({ id, revealKey })
      expect(overIpc).toEqual(await outpost.api.previewUpstreamRequest({ id, revealKey }))
      expect(overIpc.headers['x-api-key']).toBe(revealKey ? 'k' : '****')
    }
    expect(await api.previewIngestRequest({ id })).toEqual(await outpost.api.previewIngestRequest({ id }))
    await expect(api.previewIngestRequest({ id: 999_999 })).rejects.toMatchObject({ status: 404 })
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

  it('writes an export where the save dialog says, in main, telling the window its progress', async () => {
    const sent = Array.from({ length: 3 }, () => whisperrEvent({ properties: { big: 1 } }))
    // Digits JavaScript would round, in the client's own text.
    const texts = sent.map((event) => JSON.stringify(event).replace('"big":1', '"big":12345678901234567890'))
    for (const text of texts) expect((await outpost.post('/whisperr/v1/events/track', text)).status).toBe(202)
    const ids = new Set(sent.map(messageIdOf))

    savePath = join(dir.path, 'chosen.ndjson')
    const progress: ExportProgress[] = []
    const stop = bridge.onExportProgress((update) => progress.push(update))
    const saved = await api.exportEventsToFile({ query: { destination: 'whisperr' }, format: 'ndjson' })
    stop()
    const lines = readFileSync(savePath, 'utf8').trim().split('\n')
    const total = lines.length
    expect(saved).toEqual({ path: savePath, rows: total })
    expect(saveDialogs.at(-1)).toEqual({
      suggestedName: expect.stringMatching(/^outpost-events-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ\.ndjson$/),
      format: 'ndjson'
    })
    expect(progress.at(-1)).toEqual({ rows: total, total })
    const exported = lines.filter((line) => ids.has((JSON.parse(line) as ExportedEvent).messageId))
    expect(exported.map((line) => /"payload":(.*),"revision"/.exec(line)?.[1]).sort()).toEqual(
      [...texts].sort()
    )

    // Unsubscribed: the next export's progress reaches nobody.
    const before = progress.length
    await api.exportEventsToFile({ query: {}, format: 'csv' })
    expect(progress).toHaveLength(before)
  })

  it('writes nothing when the person cancels the save dialog', async () => {
    savePath = null
    const files = readdirSync(dir.path)
    expect(await api.exportEventsToFile({ query: {}, format: 'json' })).toBeNull()
    expect(readdirSync(dir.path)).toEqual(files)
  })

  it('imports the file the open dialog gives, in main, telling the window its progress', async () => {
    // Paused: what is imported stays queued, to be read back as stored.
    await api.pauseDestination({ id: 'whisperr' })
    const texts = [whisperrEvent(), whisperrEvent()].map((event) => JSON.stringify(event))
    const line = (text: string, id: number) =>
      `{"id":${id},"destination":"whisperr","kind":"track","messageId":${JSON.stringify(JSON.parse(text).context.$message_id)},"status":"queued","vendor":"whisperr","upstreamParams":null,"receivedPayload":${text},"payload":${text},"revision":0}`
    openPath = join(dir.path, 'other-kiosk.ndjson')
    writeFileSync(openPath, `${line(texts[1]!, 2)}\n${line(texts[0]!, 1)}\n`)
    const progress: ImportProgress[] = []
    const stop = bridge.onImportProgress((update) => progress.push(update))
    const asked = openDialogs
    const summary = await api.importEventsFromFile({})
    stop()
    expect(openDialogs).toBe(asked + 1)
    expect(summary).toMatchObject({ lines: 2, imported: 2, refused: 0, stopped: null })
    expect(progress.at(-1)).toMatchObject({ lines: 2, imported: 2, bytes: readFileSync(openPath).length })
    const stored = await api.listEvents({ status: 'queued', destination: 'whisperr' })
    // Oldest first: the file's last line is the first event stored.
    const payloads = await Promise.all(
      stored.events.map(async ({ id }) => (await api.getEvent({ id }))!.payload)
    )
    expect(payloads).toEqual([texts[1], texts[0]])
    await api.resumeDestination({ id: 'whisperr' })
  })

  it('imports nothing when the person cancels the open dialog, and the next import may start', async () => {
    openPath = null
    expect(await api.importEventsFromFile({})).toBeNull()
    expect(await api.importEventsFromFile({})).toBeNull()
  })

  it('runs one import at a time: an upload while the app asks for a file is refused, and may go once it is answered', async () => {
    let answer = () => undefined as void
    openDialogAnswered = new Promise((resolve) => (answer = resolve))
    openPath = null
    const asked = openDialogs
    const asking = api.importEventsFromFile({})
    await eventually(() => expect(openDialogs).toBe(asked + 1))
    const upload = (body: string) =>
      fetch(`${outpost.url}/api/events/import`, {
        method: 'POST',
        headers: { authorization: 'Bearer test-token', 'content-type': 'application/x-ndjson' },
        body
      })
    const refused = await upload('\n')
    expect(refused.status).toBe(409)
    expect(await refused.json()).toMatchObject({
      error: 'conflict',
      message: expect.stringMatching(/An import is running/)
    })
    answer()
    expect(await asking).toBeNull()
    openDialogAnswered = Promise.resolve()
    expect((await upload('\n')).status).toBe(200)
  })

  it('refuses a mapping to a destination the collector does not have before asking for a file', async () => {
    const asked = openDialogs
    await expect(api.importEventsFromFile({ destinations: { kiosk: 'nowhere' } })).rejects.toMatchObject({
      status: 400,
      code: 'invalid_input',
      message: expect.stringMatching(/No destination "nowhere" here/)
    })
    expect(openDialogs).toBe(asked)
  })

  it('offers the export to a file over IPC only: the HTTP client refuses it without a request', async () => {
    await expect(outpost.api.exportEventsToFile({ query: {}, format: 'json' })).rejects.toMatchObject({
      status: 400,
      code: 'invalid_input'
    })
  })
})
