import { execFile } from 'node:child_process'
import { closeSync, openSync, statSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PAGE_CACHE_KIB } from '../../src/main/store/database'
import type { ImportProgress, ImportSummary } from '../../src/shared/model'
import { startTestCollector, type TestCollector } from '../support/collector'
import { describeLatencies, describeRss, ingestWhile, percentile, sampleRss } from '../support/measurements'
import { tempDir } from '../support/temp'
import { whisperrEvent } from '../support/whisperr-events'

const EVENTS = 100_000
const PAD_BYTES = 1_200
/**
 * What the import may add to the process: its own buffers (128 MB, a quarter of what the file
 * would take as a JavaScript string; +76 to +98 MB measured, depending on the machine's load),
 * plus the writer's SQLite page cache, which fills as the import writes (a bound of its own).
 */
const MAX_GROWTH_BYTES = 128 * 1024 * 1024 + PAGE_CACHE_KIB * 1024
/** Answered within this while an import runs: an import that held the thread for long would not be. */
const MAX_INGEST_P99_MS = 250
const UPLOAD = join(__dirname, '../support/upload-import.mjs')

describe('an import of 100,000 events', () => {
  const dir = tempDir('outpost-import-large')
  const file = join(dir.path, 'kiosk.ndjson')
  let outpost: TestCollector

  beforeAll(async () => {
    // No keys: the imported events stay queued. Ingest during the import goes to the other destination.
    outpost = await startTestCollector({
      destinations: [
        { id: 'bulk', vendor: 'whisperr' },
        { id: 'live', vendor: 'whisperr' }
      ]
    })
    // Written a line at a time, newest first as an export is: the test holds no more of it than the collector.
    const fd = openSync(file, 'w')
    const pad = 'x'.repeat(PAD_BYTES)
    for (let id = EVENTS; id > 0; id--) {
      const event = whisperrEvent({ properties: { id, pad } })
      const text = JSON.stringify(event).replace(`"id":${id}`, `"id":${id},"order":12345678901234567890`)
      writeSync(
        fd,
        `{"id":${id},"destination":"bulk","kind":"track","name":"feature_used","userKey":"${event.external_user_id}",` +
          `"messageId":"${event.context.$message_id}","status":"queued","attempts":0,"occurredAt":"${event.occurred_at}",` +
          `"receivedAt":"${event.occurred_at}","sentAt":null,"nextAttemptAt":null,"lastStatus":null,"lastError":null,` +
          `"vendor":"whisperr","upstreamParams":null,"receivedPayload":${text},"payload":${text},"revision":0}\n`
      )
    }
    closeSync(fd)
  }, 120_000)
  afterAll(async () => {
    await outpost?.close()
    dir.remove()
  })

  it(
    'streams the file with flat memory, in order, while ingest keeps answering',
    { timeout: 300_000 },
    async () => {
      const fileBytes = statSync(file).size
      const quietUntil = performance.now() + 2_000
      const quiet = await ingestWhile(outpost, 'live', () => performance.now() < quietUntil)

      const rss = sampleRss()
      let importing = true
      const ingest = ingestWhile(outpost, 'live', () => importing)
      const started = performance.now()
      // Uploaded by another process, as a browser would: this process's memory is the collector's alone.
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [UPLOAD, `${outpost.url}/api/events/import`, 'test-token', file],
        { maxBuffer: 1 << 20 }
      )
      const seconds = (performance.now() - started) / 1000
      importing = false
      const during = await ingest
      const peak = rss.stop()
      const answer = JSON.parse(stdout) as {
        status: number
        progressLines: number
        lastProgress: ImportProgress
        summary: ImportSummary
      }

      console.log(
        `[import] ${EVENTS} events, ${(fileBytes / 1e6).toFixed(0)} MB in ${seconds.toFixed(1)} s ` +
          `(${answer.progressLines} progress lines); ${describeRss(rss.baseline, peak)}; ` +
          `ingest during it: ${describeLatencies(during.latencies)}; without: ${describeLatencies(quiet.latencies)}`
      )
      expect(answer.status).toBe(200)
      expect(answer.summary).toMatchObject({ lines: EVENTS, imported: EVENTS, refused: 0, stopped: null })
      expect(answer.progressLines).toBeGreaterThan(1)
      expect(answer.lastProgress.bytes).toBeLessThanOrEqual(fileBytes)
      expect(peak - rss.baseline).toBeLessThan(MAX_GROWTH_BYTES)
      // Holding the file would not fit: the bound is well under the file itself.
      expect(fileBytes).toBeGreaterThan(1.4 * MAX_GROWTH_BYTES)
      // Every request sent meanwhile was answered and stored.
      expect(during.statuses).toEqual([202])
      expect(during.latencies.length).toBeGreaterThan(10)
      expect(percentile(during.latencies, 0.99)).toBeLessThan(MAX_INGEST_P99_MS)
      expect((await outpost.api.getStats({})).destinations.find((d) => d.id === 'bulk')?.counts.queued).toBe(
        EVENTS
      )
      // Oldest first: the file's first line (its newest event) was stored last, its digits as written.
      const newest = (await outpost.api.listEvents({ destination: 'bulk', limit: 1 })).events[0]!
      expect((await outpost.api.getEvent({ id: newest.id }))!.payload).toContain(
        `"id":${EVENTS},"order":12345678901234567890`
      )
    }
  )
})
