import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * One collector per data folder: two would both deliver the same outbox. A lock left by a
 * process that died (power cut, SIGKILL) is taken over.
 */
export function lockDataDir(dataDir: string): () => void {
  const file = join(dataDir, 'outpost.lock')
  try {
    const holder = Number(readFileSync(file, 'utf8'))
    if (holder && holder !== process.pid && isAlive(holder)) {
      throw new Error(
        `Another Outpost (pid ${holder}) is using ${dataDir}; stop it or choose another --data-dir`
      )
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  writeFileSync(file, String(process.pid))
  return () => rmSync(file, { force: true })
}
