/**
 * Saves JSON text as a file through a download: the browser saves it to its downloads
 * folder, Electron asks where to put it. Works the same over both transports.
 */
export function saveJsonFile(name: string, json: string): void {
  const url = URL.createObjectURL(new Blob([json], { type: 'application/json' }))
  const link = document.createElement('a')
  link.href = url
  link.download = name
  link.click()
  // The download has taken its copy once the click is handled.
  setTimeout(() => URL.revokeObjectURL(url), 0)
}

/** `outpost-events-2026-11-24T09-20-05Z.json`: sortable, and legal on every file system. */
export function exportFileName(exportedAt: string): string {
  return `outpost-events-${exportedAt.replace(/\.\d+Z$/, 'Z').replace(/:/g, '-')}.json`
}
