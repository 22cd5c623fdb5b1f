import { userInfo } from 'node:os'
import { ipcMain, type IpcMainInvokeEvent } from 'electron'
import {
  apiContract,
  apiMethods,
  EXPORT_PROGRESS_CHANNEL,
  IMPORT_PROGRESS_CHANNEL,
  type Envelope,
  type ExportFormat,
  type OutpostApi
} from '@shared/api'
import { createApiDispatcher, toApiError } from './contract'
import type { CallContext, ExportSaving, ImportOpening } from './service'

/** Asks the person where to save an export (the desktop app's save dialog); null when they cancel. */
export type ChooseExportFile = (
  event: IpcMainInvokeEvent,
  suggestedName: string,
  format: ExportFormat
) => Promise<string | null>

/** Tells the window that asked how its export or import goes. */
function tellWindow(event: IpcMainInvokeEvent, channel: string, message: unknown): void {
  // The window may have closed while main goes on with the file.
  if (!event.sender.isDestroyed()) event.sender.send(channel, message)
}

/** An export asked for by one window: saved where its person chooses, its progress told to that window only. */
function exportSavingFor(event: IpcMainInvokeEvent, chooseExportFile: ChooseExportFile): ExportSaving {
  return {
    choosePath: (suggestedName, format) => chooseExportFile(event, suggestedName, format),
    progress: (progress) => tellWindow(event, EXPORT_PROGRESS_CHANNEL, progress)
  }
}

/** Asks the person which export to import (the desktop app's open dialog); null when they cancel. */
export type ChooseImportFile = (event: IpcMainInvokeEvent) => Promise<string | null>

/** An import asked for by one window: the file its person picks, its progress told to that window only. */
function importOpeningFor(event: IpcMainInvokeEvent, chooseImportFile: ChooseImportFile): ImportOpening {
  return {
    choosePath: () => chooseImportFile(event),
    progress: (progress) => tellWindow(event, IMPORT_PROGRESS_CHANNEL, progress)
  }
}

/**
 * The admin API over IPC: one handler per contract entry, each checking that the call comes
 * from our own window's top frame before it validates the input and answers in an envelope.
 */
export function registerIpcApi(
  service: OutpostApi,
  isTrustedSender: (event: IpcMainInvokeEvent) => boolean,
  chooseExportFile: ChooseExportFile,
  chooseImportFile: ChooseImportFile
): () => void {
  const context: CallContext = { actor: `desktop app (${userInfo().username})` }
  const dispatch = createApiDispatcher(service, { coerce: false, context })
  for (const method of apiMethods) {
    ipcMain.handle(apiContract[method].channel, async (event, input: unknown): Promise<Envelope<unknown>> => {
      // 403, not 401: no token would help, and the app's own window never gets this.
      if (!isTrustedSender(event))
        return { ok: false, error: { code: 'unauthorized', status: 403, message: 'Untrusted sender' } }
      try {
        const files = {
          exportSaving: exportSavingFor(event, chooseExportFile),
          importOpening: importOpeningFor(event, chooseImportFile)
        }
        return { ok: true, value: await dispatch(method, input, { ...context, ...files }) }
      } catch (error) {
        const { status, error: refusal } = toApiError(error)
        return { ok: false, error: { ...refusal, status } }
      }
    })
  }
  return () => apiMethods.forEach((method) => ipcMain.removeHandler(apiContract[method].channel))
}
