import { app, BrowserWindow, dialog, type IpcMainInvokeEvent } from 'electron'

/** The file picked last: asking again (to import it with other destinations) opens there. */
let lastChosen: string | null = null

/** The open dialog of an import, over the window that asked, in the Downloads folder at first. */
export async function chooseImportFile(event: IpcMainInvokeEvent): Promise<string | null> {
  const options = {
    title: 'Import events',
    buttonLabel: 'Import',
    defaultPath: lastChosen ?? app.getPath('downloads'),
    properties: ['openFile' as const],
    filters: [
      { name: 'NDJSON export (one event per line)', extensions: ['ndjson', 'jsonl'] },
      { name: 'All files', extensions: ['*'] }
    ]
  }
  const window = BrowserWindow.fromWebContents(event.sender)
  const { canceled, filePaths } = window
    ? await dialog.showOpenDialog(window, options)
    : await dialog.showOpenDialog(options)
  const [path] = filePaths
  if (canceled || path === undefined) return null
  lastChosen = path
  return path
}
