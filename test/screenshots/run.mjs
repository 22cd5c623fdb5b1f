// `npm run screenshots`: builds the app, then photographs every view of the console, light and
// dark, at a phone's and a desktop's size, into docs/screenshots/ (linked from the README).
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))
const run = (args) => spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' }).status

if (run([join(root, 'node_modules/electron-vite/bin/electron-vite.js'), 'build']) !== 0) process.exit(1)
process.exit(
  run([
    join(root, 'node_modules/vitest/vitest.mjs'),
    'run',
    '--config',
    'test/screenshots/vitest.config.ts'
  ]) ?? 1
)
