import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { NewEvent } from '../../src/main/store'
import { startTestCollector, type TestCollector } from '../support/collector'
import { describeLatencies, describeRss, ingestWhile, sampleRss } from '../support/measurements'

const EVENTS = 20_000
const PAYLOAD_BYTES = 20_000
/** Far below the export's size: 400 MB of payloads, each in the file twice (as received, to send). */
const MAX_GROWTH_BYTES = 100 * 1024 * 1024
const COUNT_DOWNLOAD = join(__dirname, '../support/count-download.mjs')

/** A payload of about PAYLOAD_BYTES, ending in a number JavaScript would round. */
function bigPayload(i: number): string {
  const padding = 'x'.repeat(PAYLOAD_BYTES - 100)
  return `{"event_type":"bulk_item","properties":{"i":${i},"pad":"${padding}"},"order":12345678901234567890}`
}

describe('an export far larger than memory should hold', () => {
  let outpost: TestCollector

  beforeAll(async () => {
    // No keys: the events stay queued, nothing is delivered meanwhile. Ingest during the export goes
    // to the other destination, so the export's count is known.
    outpost = await startTestCollector({
      destinations: [
        { id: 'bulk', vendor: 'whisperr' },
        { id: 'live', vendor: 'whisperr' }
      ]
    })
    const { outbox } = outpost.collector.store
    for (let start = 0; start < EVENTS; start += 500) {
      const events: NewEvent[] = Array.from({ length: 500 }, (_, j) => ({
        destination: 'bulk',
        messageId: `bulk-${start + j}`,
        kind: 'track',
        name: 'bulk_item',
        userKey: `user_${j % 10}`,
        occurredAt: null,
        payload: bigPayload(start + j),
        upstreamParams: null
      }))
      outbox.enqueueEvents([events], Date.now())
    }
  }, 120_000)
  afterAll(async () => {
    await outpost?.close()
  })

  it('streams 20,000 events of 20 KB with flat memory, while ingest keeps answering', async () => {
    // The same requests without an export, for comparison.
    const quietUntil = performance.now() + 2_000
    const quiet = await ingestWhile(outpost, 'live', () => performance.now() < quietUntil)

    const rss = sampleRss()
    let exporting = true
    const ingest = ingestWhile(outpost, 'live', () => exporting)
    const started = performance.now()
    // The download is read by another process, as a browser's would be: this process's memory is
    // the collector's alone.
    const url = `${outpost.url}/api/events/export?format=ndjson&destination=bulk`
    const { stdout } = await promisify(execFile)(process.execPath, [COUNT_DOWNLOAD, url, 'test-token'])
    const seconds = (performance.now() - started) / 1000
    exporting = false
    const during = await ingest
    const peak = rss.stop()
    const download = JSON.parse(stdout) as { status: number; bytes: number; lines: number; head: string }

    console.log(
      `[export] ${download.lines} events, ${(download.bytes / 1e6).toFixed(0)} MB in ${seconds.toFixed(1)} s; ` +
        `${describeRss(rss.baseline, peak)}; ingest during it: ${describeLatencies(during.latencies)}; ` +
        `without an export: ${describeLatencies(quiet.latencies)}`
    )
    expect(download).toMatchObject({ status: 200, lines: EVENTS })
    expect(download.bytes).toBeGreaterThan(2 * EVENTS * PAYLOAD_BYTES)
    expect(download.head).toMatch(/^\{"id":20000,"destination":"bulk"/)
    expect(peak - rss.baseline).toBeLessThan(MAX_GROWTH_BYTES)
    // Every request sent while the export ran was answered, and stored.
    expect(during.statuses).toEqual([202])
    expect(during.latencies.length).toBeGreaterThan(10)
  })

  it('ends a download in an error, not a clean end, when the collector stops during it', async () => {
    const response = await fetch(`${outpost.url}/api/events/export?format=json`, {
      headers: { authorization: 'Bearer test-token' }
    })
    const reader = response.body!.getReader()
    expect((await reader.read()).done).toBe(false)
    const stopping = outpost.collector.close()
    await expect(
      (async () => {
        while (!(await reader.read()).done);
      })()
    ).rejects.toThrow()
    await stopping
  })
})
