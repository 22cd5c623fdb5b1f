import { chmod } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import type { Plugin } from 'vite'
import react from '@vitejs/plugin-react'

const shared = { '@shared': resolve(__dirname, 'src/shared') }

/**
 * The package's bin (out/main/cli.js, `npx outpost`) must be executable; the bundler writes
 * every file 0644, so each build would otherwise leave `npx outpost` with "Permission denied".
 */
function executableBin(entryName: string): Plugin {
  return {
    name: 'outpost-executable-bin',
    async writeBundle(options, bundle) {
      const entry = Object.values(bundle).find(
        (file) => file.type === 'chunk' && file.isEntry && file.name === entryName
      )
      if (!entry || !options.dir)
        throw new Error(`outpost-executable-bin: no '${entryName}' entry was written`)
      await chmod(join(options.dir, entry.fileName), 0o755)
    }
  }
}

export default defineConfig({
  main: {
    resolve: { alias: shared },
    plugins: [executableBin('cli')],
    build: {
      rolldownOptions: {
        // Two entries over one collector: the Electron app and the headless `outpost serve`; and
        // the store's worker threads (the outbox reader, the search indexer), which the collector
        // starts from their own files.
        input: {
          index: resolve(__dirname, 'src/main/index.ts'),
          cli: resolve(__dirname, 'src/main/cli.ts'),
          'reader-worker': resolve(__dirname, 'src/main/store/reader-worker.ts'),
          'search-indexer-worker': resolve(__dirname, 'src/main/store/search-indexer-worker.ts')
        },
        output: {
          banner: (chunk) => (chunk.name === 'cli' ? '#!/usr/bin/env node' : ''),
          // Chunks beside the entries: the store finds a worker's file next to its own code
          // (store/worker-file.ts), whichever file the bundler put that code in.
          chunkFileNames: '[name]-[hash].js'
        }
      }
    }
  },
  preload: {
    resolve: { alias: shared }
  },
  renderer: {
    resolve: { alias: shared },
    plugins: [react()],
    build: { minify: true }
  }
})
