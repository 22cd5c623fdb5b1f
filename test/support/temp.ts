import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A fresh folder per test, removed afterwards. */
export function tempDir(label = 'outpost'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `${label}-`))
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) }
}

/** Polls until the check passes; never a fixed sleep. */
export async function eventually<T>(
  check: () => T | Promise<T>,
  timeoutMs = 10_000,
  label = 'condition'
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  for (;;) {
    try {
      return await check()
    } catch (error) {
      lastError = error
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${label} not met within ${timeoutMs} ms: ${(lastError as Error)?.message ?? lastError}`
      )
    }
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}
