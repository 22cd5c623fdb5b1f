import { join } from 'node:path'

/**
 * The file a worker thread of the store starts from. electron-vite builds each worker as an entry of
 * its own beside the bundle this module is in (electron.vite.config.ts: `<name>.js`). Run from
 * source, as vitest runs it, this file is TypeScript, and the worker's TypeScript is loaded through
 * `<name>-source.mjs` (module hooks: reader-typescript-hooks.mjs).
 */
export function workerFile(name: string): string {
  return __filename.endsWith('.ts') ? join(__dirname, `${name}-source.mjs`) : join(__dirname, `${name}.js`)
}
