// `npm run bench`: builds the app (the footprint benchmark runs the built CLI), then runs the
// benchmarks (bench/**/*.bench.ts) with vitest as the TypeScript runner, under the runtime
// better-sqlite3 was built for, like test/run.mjs: Electron-as-Node when the Electron binary is
// installed, plain Node otherwise. Each benchmark saves its results as JSON; this script then writes
// docs/benchmarks.md from them. Arguments are passed to vitest (e.g. a file filter); a filtered run
// prints its report instead of replacing the document.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { electronBinary } from '../test/runtime.mjs'
import { composeReport, machineInfo, readResults } from './report.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const reportFile = join(root, 'docs/benchmarks.md')
const vitestArgs = process.argv.slice(2)

const build = spawnSync(
  process.execPath,
  [join(root, 'node_modules/electron-vite/bin/electron-vite.js'), 'build'],
  {
    cwd: root,
    stdio: 'inherit'
  }
)
if (build.status !== 0) {
  console.error(`[outpost] build failed; ${reportFile} left unchanged`)
  process.exit(build.status || 1)
}

const resultsDir = mkdtempSync(join(tmpdir(), 'outpost-bench-results-'))
// Data built once per run and shared by benchmarks (the 1,000,000-event outbox): removed at the end.
const cacheDir = mkdtempSync(join(tmpdir(), 'outpost-bench-cache-'))
const electron = electronBinary()
const runtime = electron ?? process.execPath
const env = {
  ...process.env,
  OUTPOST_BENCH_RESULTS: resultsDir,
  OUTPOST_BENCH_CACHE: cacheDir,
  ...(electron ? { ELECTRON_RUN_AS_NODE: '1' } : {})
}
console.log(
  `[outpost] running benchmarks under ${electron ? `Electron-as-Node (${electron})` : `Node ${process.versions.node}`}`
)

const vitest = join(root, 'node_modules/vitest/vitest.mjs')
const args = [vitest, 'run', '--config', 'bench/vitest.config.ts', ...vitestArgs]
const { status } = spawnSync(runtime, args, { cwd: root, stdio: 'inherit', env })

const results = readResults(resultsDir)
rmSync(resultsDir, { recursive: true, force: true })
rmSync(cacheDir, { recursive: true, force: true })
if (status !== 0 || results.length === 0) {
  console.error(`[outpost] benchmarks failed (exit ${status}); ${reportFile} left unchanged`)
  process.exit(status || 1)
}

const report = composeReport(results, machineInfo(root, results))
if (vitestArgs.length > 0) {
  console.log(`[outpost] filtered run: ${reportFile} left unchanged\n\n${report}`)
} else {
  writeFileSync(reportFile, report)
  console.log(`[outpost] wrote ${reportFile}`)
}
