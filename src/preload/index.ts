import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron'
import { apiContract, apiMethods, EXPORT_PROGRESS_CHANNEL } from '@shared/api'
import type { ExportProgress } from '@shared/model'
import type { OutpostBridge } from '@shared/bridge-client'

// Fixed, named functions only: the renderer cannot reach any other channel. Each returns the
// IPC envelope unchanged: the bridge copies plain data whole but rebuilds a thrown Error from its
// message alone, so a refusal crosses as data and becomes an error on the renderer's side
// (createBridgeClient).
const bridge: Record<string, unknown> = {}
for (const method of apiMethods) {
  bridge[method] = (input: unknown) => ipcRenderer.invoke(apiContract[method].channel, input ?? {})
}
// The one channel main speaks on unasked. The listener gets the progress alone, never the IPC event
// (its sender would hand the page ipcRenderer's reach).
bridge.onExportProgress = (listener: (progress: ExportProgress) => void) => {
  const forward = (_event: IpcRendererEvent, progress: ExportProgress) => listener(progress)
  ipcRenderer.on(EXPORT_PROGRESS_CHANNEL, forward)
  return () => void ipcRenderer.removeListener(EXPORT_PROGRESS_CHANNEL, forward)
}

contextBridge.exposeInMainWorld('outpost', bridge as OutpostBridge)
