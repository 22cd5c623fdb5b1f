// `npm test`: builds the app (the CLI and console tests run the real build), then runs vitest
// under the runtime better-sqlite3 was built for: Electron-as-Node when the Electron binary is
// installed, plain Node otherwise (see README, "Tests"). Ends with one line: N passed, N failed.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { electronBinary } from './runtime.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const run = (command, args, env = process.env) =>
  spawnSync(command, args, { cwd: root, stdio: 'inherit', env }).status

if (run(process.execPath, [join(root, 'node_modules/electron-vite/bin/electron-vite.js'), 'build']) !== 0) {
  console.log('build failed\n0 passed, 1 failed')
  process.exit(1)
}

const electron = electronBinary()
const runtime = electron ?? process.execPath
const env = electron ? { ...process.env, ELECTRON_RUN_AS_NODE: '1' } : process.env
console.log(
  `[outpost] running tests under ${electron ? `Electron-as-Node (${electron})` : `Node ${process.versions.node}`}`
)

const report = join(mkdtempSync(join(tmpdir(), 'outpost-test-')), 'report.json')
const vitest = join(root, 'node_modules/vitest/vitest.mjs')
const args = [
  vitest,
  'run',
  '--config',
  'test/vitest.config.ts',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${report}`,
  ...process.argv.slice(2)
]
const status = run(runtime, args, env)

let summary
try {
  const result = JSON.parse(readFileSync(report, 'utf8'))
  const skipped = result.numPendingTests + result.numTodoTests
  // A file that fails to load fails no test, but must not pass for green.
  const failed = result.numFailedTests || (status === 0 ? 0 : Math.max(1, result.numFailedTestSuites))
  summary = `${result.numPassedTests} passed, ${failed} failed, ${skipped} skipped`
} catch {
  summary = '0 passed, 1 failed'
}
console.log(summary)
process.exit(status ?? 1)
