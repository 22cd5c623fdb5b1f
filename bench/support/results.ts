import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** Where bench/run.mjs collects the results; it composes docs/benchmarks.md from them. */
export const RESULTS_DIR_ENV = 'OUTPOST_BENCH_RESULTS'

export interface ResultTable {
  caption: string
  columns: string[]
  rows: string[][]
}

/** One benchmark's section of docs/benchmarks.md; the JSON contract with bench/report.mjs. */
export interface BenchmarkResult {
  /** Orders the sections. */
  order: number
  title: string
  /** What was measured and how, one paragraph each. */
  method: string[]
  tables: ResultTable[]
  /** What this run showed, one bullet each. */
  findings: string[]
}

interface RecordedResult extends BenchmarkResult {
  /** The runtime that ran the benchmark (Electron-as-Node or Node), for the machine section. */
  runtime: { node: string; electron: string | null }
}

/** Saves a benchmark's result for the report; printed instead when run outside bench/run.mjs. */
export function recordResult(id: string, result: BenchmarkResult): void {
  const recorded: RecordedResult = {
    ...result,
    runtime: { node: process.versions.node, electron: process.versions.electron ?? null }
  }
  const dir = process.env[RESULTS_DIR_ENV]
  if (!dir) {
    console.log(
      `[bench] ${id} (not saved: ${RESULTS_DIR_ENV} is not set)\n${JSON.stringify(recorded, null, 2)}`
    )
    return
  }
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, `${id}.json`), JSON.stringify(recorded, null, 2))
}

const grouped = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })

export const format = {
  count: (value: number): string => grouped.format(value),
  ms: (value: number): string => (value < 10 ? value.toFixed(2) : value.toFixed(1)),
  seconds: (ms: number): string => (ms / 1000).toFixed(2),
  ratio: (value: number): string => `${value.toFixed(2)}×`,
  /** Lowest and highest of the rounds, to show how noisy the machine was. */
  range: (values: readonly number[]): string =>
    `${grouped.format(Math.min(...values))}–${grouped.format(Math.max(...values))}`
}
