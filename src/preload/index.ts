import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron'
import { apiContract, apiMethods, EXPORT_PROGRESS_CHANNEL, IMPORT_PROGRESS_CHANNEL } from '@shared/api'
import type { OutpostBridge } from '@shared/bridge-client'

// Fixed, named functions only: the renderer cannot reach any other channel. Each returns the
// IPC envelope unchanged: the bridge copies plain data whole but rebuilds a thrown Error from its
// message alone, so a refusal crosses as data and becomes an error on the renderer's side
// (createBridgeClient).
const bridge: Record<string, unknown> = {}
for (const method of apiMethods) {
  bridge[method] = (input: unknown) => ipcRenderer.invoke(apiContract[method].channel, input ?? {})
}
// The two channels main speaks on unasked. A listener gets the progress alone, never the IPC event
// (its sender would hand the page ipcRenderer's reach).
function follow<T>(channel: string, listener: (progress: T) => void): () => void {
  const forward = (_event: IpcRendererEvent, progress: T) => listener(progress)
  ipcRenderer.on(channel, forward)
  return () => void ipcRenderer.removeListener(channel, forward)
}
const onExportProgress: OutpostBridge['onExportProgress'] = (listener) =>
  follow(EXPORT_PROGRESS_CHANNEL, listener)
const onImportProgress: OutpostBridge['onImportProgress'] = (listener) =>
  follow(IMPORT_PROGRESS_CHANNEL, listener)
Object.assign(bridge, { onExportProgress, onImportProgress })

contextBridge.exposeInMainWorld('outpost', bridge as OutpostBridge)
