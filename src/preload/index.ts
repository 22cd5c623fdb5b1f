import { contextBridge, ipcRenderer } from 'electron'
import { apiContract, apiMethods } from '@shared/api'
import type { OutpostBridge } from '@shared/bridge-client'

// Fixed, named functions only: the renderer cannot reach any other channel. Each returns the
// IPC envelope unchanged: the bridge copies plain data whole but rebuilds a thrown Error from its
// message alone, so a refusal crosses as data and becomes an error on the renderer's side
// (createBridgeClient).
const bridge: Record<string, (input: unknown) => Promise<unknown>> = {}
for (const method of apiMethods) {
  bridge[method] = (input: unknown) => ipcRenderer.invoke(apiContract[method].channel, input ?? {})
}

contextBridge.exposeInMainWorld('outpost', bridge as OutpostBridge)
