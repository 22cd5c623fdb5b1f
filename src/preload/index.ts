import { contextBridge, ipcRenderer } from 'electron'
import { apiContract, apiMethods, type Envelope, type OutpostApi } from '@shared/api'

// Fixed, named functions only: the renderer cannot reach any other channel.
const api: Record<string, (input: unknown) => Promise<unknown>> = {}
for (const method of apiMethods) {
  api[method] = async (input: unknown) => {
    const envelope = (await ipcRenderer.invoke(apiContract[method].channel, input ?? {})) as Envelope<unknown>
    if (envelope.ok) return envelope.value
    const { message, code, problems = [] } = envelope.error
    throw Object.assign(new Error(message), { code, problems })
  }
}

contextBridge.exposeInMainWorld('outpost', api as unknown as OutpostApi)
