import { dirname, resolve } from 'node:path'
import { defineConfig, type Plugin } from 'vitest/config'

const root = resolve(__dirname, '..')

/** electron-vite's `?asset` import (main process): the asset's absolute path as the default export. */
const assetPaths: Plugin = {
  name: 'outpost-asset-paths',
  enforce: 'pre',
  resolveId(source, importer) {
    if (!source.endsWith('?asset') || !importer) return null
    return `\0asset:${resolve(dirname(importer), source.slice(0, -'?asset'.length))}`
  },
  load(id) {
    return id.startsWith('\0asset:') ? `export default ${JSON.stringify(id.slice('\0asset:'.length))}` : null
  }
}

export default defineConfig({
  root,
  plugins: [assetPaths],
  resolve: { alias: { '@shared': resolve(root, 'src/shared') } },
  test: {
    include: ['test/**/*.test.ts'],
    // Native SQLite and real sockets: separate processes, at most one per core.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000
  }
})
