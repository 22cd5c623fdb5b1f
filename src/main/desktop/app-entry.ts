import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The one page the window may show, and the only page whose top frame IPC answers: the dev
 * server's origin in development, else the built renderer's index.html. Any other file:// page
 * (a download, a file dropped on the window, an HTML file a link led to) could otherwise run
 * the whole admin API through the preload.
 */
export type AppEntry = { devServerUrl: string } | { file: string }

export function appEntryOf(rendererHtml: string, devServerUrl: string | undefined): AppEntry {
  return devServerUrl ? { devServerUrl } : { file: resolve(rendererHtml) }
}

function parsedUrl(url: string): URL | null {
  try {
    return new URL(url)
  } catch {
    return null
  }
}

/** The file a file:// URL names (query and fragment ignored, escapes decoded), or null. */
function filePathOf(url: URL): string | null {
  try {
    return resolve(fileURLToPath(url))
  } catch {
    // Another host (a share), or an escaped slash: not a local file of ours.
    return null
  }
}

function samePath(a: string, b: string): boolean {
  // Windows paths compare without case: Chromium may report the drive letter either way.
  return process.platform === 'win32' ? a.toLowerCase() === b.toLowerCase() : a === b
}

export function isAppUrl(url: string, entry: AppEntry): boolean {
  const parsed = parsedUrl(url)
  if (!parsed) return false
  // The origin exactly: a prefix test would trust http://localhost:51730 for http://localhost:5173.
  if ('devServerUrl' in entry) return parsed.origin === new URL(entry.devServerUrl).origin
  const path = parsed.protocol === 'file:' ? filePathOf(parsed) : null
  return path !== null && samePath(path, entry.file)
}
