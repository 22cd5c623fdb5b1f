/**
 * Footprint with 1,000,000 queued events: start time and resident memory of the built
 * `outpost serve` on the 1M data folder against an empty one, and the bytes the outbox file takes
 * per stored event against the raw payload bytes; all in the same run.
 */
import Database from 'better-sqlite3'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHttpClient } from '../src/shared/http-client'
import { startCli } from '../test/support/cli-process'
import { copyMillionOutbox, millionOutbox, type MillionOutbox } from './support/million'
import { format, recordResult } from './support/results'
import { median } from './support/stats'

const ADMIN_TOKEN = 'bench-footprint-admin-token'
const ROUNDS = 5
/** After the console's first poll, the process settles this long before its memory is read. */
const IDLE_MS = 2_000
/** The console's page size (src/renderer/src/store.ts). */
const PAGE_SIZE = 200
const BUILD_TIMEOUT_MS = 600_000
const TEST_TIMEOUT_MS = 300_000
const RSS_TARGET_MB = 300
const START_TARGET_MS = 2_000
/** Structures of the outbox file listed one by one; smaller ones are summed as "the rest". */
const LISTED_STRUCTURES = 6

interface StartSample {
  startMs: number
  /** Resident memory after the start, the first poll and the idle time. */
  rssMb: number
  /** The part of it that is the process's own (heap, stacks), not pages of mapped files. */
  anonymousMb: number
  /** The most resident memory the process had at any time (VmHWM). */
  peakRssMb: number
  queued: number
}

/** VmRSS, RssAnon and VmHWM of a live process, in MB (Linux /proc). */
function residentMemory(pid: number): { rssMb: number; anonymousMb: number; peakRssMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kilobytes = (field: string) => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)
    if (!match) throw new Error(`no ${field} in /proc/${pid}/status`)
    return Number(match[1]) / 1024
  }
  return { rssMb: kilobytes('VmRSS'), anonymousMb: kilobytes('RssAnon'), peakRssMb: kilobytes('VmHWM') }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Starts the built CLI on `dataDir`, times it from spawning to the "listening" line, lets the
 * console poll once (stats and the newest page), idles, reads its memory and stops it.
 */
async function startOnce(configFile: string, dataDir: string): Promise<StartSample> {
  const started = performance.now()
  const cli = await startCli(['--config', configFile, '--data-dir', dataDir], {
    OUTPOST_ADMIN_TOKEN: ADMIN_TOKEN
  })
  const startMs = performance.now() - started
  try {
    const api = createHttpClient({ baseUrl: cli.url, token: ADMIN_TOKEN })
    const stats = await api.getStats({})
    await api.listEvents({ limit: PAGE_SIZE })
    await sleep(IDLE_MS)
    const pid = cli.child.pid
    if (pid === undefined) throw new Error('outpost serve has no pid')
    return { startMs, ...residentMemory(pid), queued: stats.counts.queued }
  } finally {
    cli.child.kill('SIGTERM')
    expect(await cli.exited).toBe(0)
  }
}

interface StructureSize {
  name: string
  bytes: number
}

/** Bytes of each table and index of the outbox file, largest first (SQLite's dbstat). */
function structureSizes(file: string): StructureSize[] {
  const db = new Database(file, { readonly: true, fileMustExist: true })
  try {
    return db
      .prepare('SELECT name, sum(pgsize) AS bytes FROM dbstat GROUP BY name ORDER BY bytes DESC')
      .all() as StructureSize[]
  } finally {
    db.close()
  }
}

describe('footprint with 1,000,000 queued events', () => {
  let outbox: MillionOutbox
  let millionDir: string
  const emptyDirs: string[] = []

  beforeAll(() => {
    outbox = millionOutbox()
    millionDir = mkdtempSync(join(tmpdir(), 'outpost-bench-footprint-'))
    copyMillionOutbox(outbox, millionDir)
  }, BUILD_TIMEOUT_MS)

  afterAll(() => {
    for (const dir of [millionDir, ...emptyDirs]) if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it(
    'measures start time, memory and bytes per event against an empty outbox',
    async () => {
      const freshDir = () => {
        const dir = mkdtempSync(join(tmpdir(), 'outpost-bench-footprint-empty-'))
        emptyDirs.push(dir)
        return dir
      }
      // Warm-up: the runtime's and the app's files come into the OS cache once.
      await startOnce(outbox.configFile, freshDir())
      const empty: StartSample[] = []
      const million: StartSample[] = []
      for (let round = 0; round < ROUNDS; round++) {
        // Alternate which goes first, so neither always meets a cooler or warmer machine.
        if (round % 2 === 0) empty.push(await startOnce(outbox.configFile, freshDir()))
        million.push(await startOnce(outbox.configFile, millionDir))
        if (round % 2 === 1) empty.push(await startOnce(outbox.configFile, freshDir()))
      }
      for (const sample of million) expect(sample.queued).toBe(outbox.counts.queued)

      const file = join(outbox.dataDir, 'outbox.sqlite')
      const fileBytes = statSync(file).size
      const structures = structureSizes(file)
      recordFootprint({ outbox, empty, million, fileBytes, structures })
    },
    TEST_TIMEOUT_MS
  )
})

interface Footprint {
  outbox: MillionOutbox
  empty: StartSample[]
  million: StartSample[]
  fileBytes: number
  structures: StructureSize[]
}

function recordFootprint({ outbox, empty, million, fileBytes, structures }: Footprint): void {
  const of = (samples: StartSample[], key: keyof StartSample) => median(samples.map((sample) => sample[key]))
  const startRow = (
    label: string,
    samples: StartSample[],
    key: 'startMs' | 'rssMb' | 'anonymousMb' | 'peakRssMb'
  ) => [
    label,
    key === 'startMs' ? format.ms(of(samples, key)) : format.count(of(samples, key)),
    `${format.count(Math.min(...samples.map((sample) => sample[key])))}–${format.count(
      Math.max(...samples.map((sample) => sample[key]))
    )}`,
    format.ratio(of(samples, key) / of(empty, key))
  ]
  const events = outbox.counts.total
  const queued = `${format.count(outbox.counts.queued)} queued`
  const perEvent = (bytes: number) => format.count(bytes / events)
  const rawPerEvent = outbox.payloadBytes / events
  const listed = structures.slice(0, LISTED_STRUCTURES)
  const rest = structures.slice(LISTED_STRUCTURES).reduce((sum, structure) => sum + structure.bytes, 0)
  const startMs = of(million, 'startMs')
  const rssMb = of(million, 'rssMb')
  const peakMb = of(million, 'peakRssMb')

  recordResult('7-footprint', {
    order: 7,
    title: 'Footprint with 1,000,000 queued events: start, memory, bytes per event',
    method: [
      `The outbox of the UI-query section (${format.count(outbox.counts.queued)} queued events behind ` +
        `${format.count(outbox.counts.sent + outbox.counts.failed)} delivered, its destinations paused), on a copy ` +
        'of its data folder. Each start runs the built CLI (`node out/main/cli.js serve --config … --data-dir …`, ' +
        'built by npm run bench) as a child process, timed from spawning it to its "listening on" line: the ' +
        'runtime starting, opening and checking the outbox, listening. Then the console polls once (GET ' +
        `/api/stats and the newest ${PAGE_SIZE} events), the process idles ${format.seconds(IDLE_MS)} s, and its ` +
        'resident memory is read from /proc (VmRSS; of it anonymous: RssAnon, the process’s own memory ' +
        'rather than pages of files it maps; peak: VmHWM, the most it held at any time, mapped file pages ' +
        'included), before SIGTERM.',
      `The baseline is the same CLI and config on an empty data folder. ${ROUNDS} starts each, alternating, ` +
        'after one warm-up start. The outbox file is in the OS cache (a restart, not a boot): a cold start also ' +
        `reads the file from disk. The issue's targets: start to listening under ${format.seconds(START_TARGET_MS)} s ` +
        `and resident memory under ${RSS_TARGET_MB} MB with 1,000,000 queued.`,
      'Bytes per event: the size of the outbox file (checkpointed, no WAL) over the events it holds, against ' +
        'the raw JSON payloads the clients sent; the breakdown by table and index is SQLite’s dbstat.'
    ],
    tables: [
      {
        caption: `Start and memory of outpost serve, median of ${ROUNDS} starts`,
        columns: ['Data folder', 'median', 'range', 'vs empty'],
        rows: [
          startRow('Start to listening (ms), empty outbox (baseline)', empty, 'startMs'),
          startRow(`Start to listening (ms), ${queued}`, million, 'startMs'),
          startRow('Resident memory (MB), empty outbox (baseline)', empty, 'rssMb'),
          startRow(`Resident memory (MB), ${queued}`, million, 'rssMb'),
          startRow('… of it anonymous (MB), empty outbox (baseline)', empty, 'anonymousMb'),
          startRow(`… of it anonymous (MB), ${queued}`, million, 'anonymousMb'),
          startRow('Peak resident memory (MB), empty outbox (baseline)', empty, 'peakRssMb'),
          startRow(`Peak resident memory (MB), ${queued}`, million, 'peakRssMb')
        ]
      },
      {
        caption: `Bytes per stored event, ${format.count(events)} events, ${format.count(fileBytes / 1024 ** 2)} MB file`,
        columns: ['What', 'bytes per event', 'vs raw payload'],
        rows: [
          ['Baseline: the raw JSON payload', perEvent(outbox.payloadBytes), format.ratio(1)],
          ['The outbox file', perEvent(fileBytes), format.ratio(fileBytes / outbox.payloadBytes)],
          ...listed.map((structure) => [
            `… of which ${structure.name}`,
            perEvent(structure.bytes),
            format.ratio(structure.bytes / outbox.payloadBytes)
          ]),
          ['… of which the rest', perEvent(rest), format.ratio(rest / outbox.payloadBytes)]
        ]
      }
    ],
    findings: [
      `With ${format.count(outbox.counts.queued)} queued, outpost serve listened after ${format.ms(startMs)} ms, ` +
        `${format.ratio(startMs / of(empty, 'startMs'))} an empty outbox; target ${format.seconds(START_TARGET_MS)} s ` +
        `(${startMs < START_TARGET_MS ? 'met' : 'missed'}).`,
      `It held ${format.count(rssMb)} MB resident after the first poll, ` +
        `${format.ratio(rssMb / of(empty, 'rssMb'))} an empty outbox; target ${RSS_TARGET_MB} MB ` +
        `(${rssMb < RSS_TARGET_MB ? 'met' : 'missed'}). Its peak was ${format.count(peakMb)} MB ` +
        `(${peakMb < RSS_TARGET_MB ? 'under' : 'over'} the target), ${format.count(peakMb - rssMb)} MB above ` +
        `the settled figure, against a ${format.count(fileBytes / 1024 ** 2)} MB outbox file.`,
      `The outbox file takes ${perEvent(fileBytes)} bytes per event for ${format.count(rawPerEvent)} bytes of ` +
        `raw payload (${format.ratio(fileBytes / outbox.payloadBytes)}).`
    ]
  })
}
