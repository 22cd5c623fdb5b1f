import { join } from 'node:path'
import { app, BrowserWindow, dialog, type IpcMainInvokeEvent } from 'electron'
import type { ExportFormat } from '@shared/api'

const FORMAT_LABELS: Record<ExportFormat, string> = {
  json: 'JSON',
  ndjson: 'NDJSON (one event per line)',
  csv: 'CSV'
}

/** The save dialog of an export, over the window that asked, in the Downloads folder by default. */
export async function chooseExportFile(
  event: IpcMainInvokeEvent,
  suggestedName: string,
  format: ExportFormat
): Promise<string | null> {
  const options = {
    title: 'Export events',
    defaultPath: join(app.getPath('downloads'), suggestedName),
    filters: [{ name: FORMAT_LABELS[format], extensions: [format] }]
  }
  const window = BrowserWindow.fromWebContents(event.sender)
  const { canceled, filePath } = window
    ? await dialog.showSaveDialog(window, options)
    : await dialog.showSaveDialog(options)
  return canceled || !filePath ? null : filePath
}
