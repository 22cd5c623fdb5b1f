import { defineConfig } from 'vitest/config'
import base from '../vitest.config'

/** `npm run screenshots` (test/screenshots/run.mjs): never part of `npm test`. */
export default defineConfig({
  ...base,
  // Replaced, not merged: mergeConfig would add the suite's own test files to the run.
  test: { ...base.test, include: ['test/screenshots/**/*.shot.ts'], maxWorkers: 1 }
})
