import { closeSync, cpSync, fsyncSync, openSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

/**
 * Copies a collector's data folder (closed, not in use) for a run that will write to it, and
 * flushes the copy to disk before it is used: the kernel writing hundreds of megabytes back while a
 * benchmark runs would slow every fsync it measures.
 */
export function copyDataFolder(source: string, target: string): void {
  cpSync(source, target, { recursive: true })
  for (const name of readdirSync(target)) {
    const descriptor = openSync(join(target, name), 'r')
    try {
      fsyncSync(descriptor)
    } finally {
      closeSync(descriptor)
    }
  }
}
