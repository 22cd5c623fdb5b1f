import { resolve } from 'node:path'
import { defineConfig } from 'vitest/config'

const root = resolve(__dirname, '..')

/** `npm run bench` (bench/run.mjs): the benchmarks, never part of `npm test`. */
export default defineConfig({
  root,
  resolve: { alias: { '@shared': resolve(root, 'src/shared') } },
  test: {
    include: ['bench/**/*.bench.ts'],
    // One benchmark at a time in one process: a second one would take the core its peer needs.
    pool: 'forks',
    fileParallelism: false,
    maxWorkers: 1,
    testTimeout: 240_000,
    hookTimeout: 60_000
  }
})
