import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startMockWhisperr, type MockWhisperr } from '../mocks/whisperr'
import { startTestCollector, type TestCollector } from '../support/collector'
import { messageIdOf, whisperrEvent } from '../support/whisperr-events'

const API_KEY = 'wk_disk_full'
/** SQLite's own ceiling for max_page_count: no limit but the disk's. */
const NO_PAGE_LIMIT = 0xfffffffe

/**
 * A full disk, for real: SQLite's max_page_count on the collector's own connection makes every
 * write that needs a new page fail with SQLITE_FULL, exactly as a full file system does.
 */
describe('a full disk', () => {
  let upstream: MockWhisperr
  let outpost: TestCollector

  beforeEach(async () => {
    upstream = await startMockWhisperr({ apiKey: API_KEY })
    outpost = await startTestCollector({
      destinations: [{ id: 'whisperr', vendor: 'whisperr', baseUrl: upstream.url, apiKey: API_KEY }]
    })
  })
  afterEach(async () => {
    await outpost.close()
    await upstream.close()
  })

  async function sendBatch(): Promise<{
    status: number
    body: unknown
    ids: string[]
    retryAfter: string | null
  }> {
    const events = Array.from({ length: 100 }, () =>
      whisperrEvent({ properties: { padding: 'x'.repeat(300) } })
    )
    const response = await outpost.post('/whisperr/v1/events/batch', { events })
    return { ...response, ids: events.map(messageIdOf), retryAfter: response.headers.get('retry-after') }
  }

  it('answers ingest with a disk-full 503, and takes events again as soon as there is space', async () => {
    await upstream.stop()
    const acknowledged: string[] = []
    for (let batch = 0; batch < 5; batch++) {
      const answer = await sendBatch()
      expect(answer.status).toBe(202)
      acknowledged.push(...answer.ids)
    }

    const db = outpost.collector.store.db
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`)
    const statuses: number[] = []
    let refusal: Awaited<ReturnType<typeof sendBatch>> | undefined
    for (let batch = 0; batch < 50 && !refusal; batch++) {
      const answer = await sendBatch()
      statuses.push(answer.status)
      if (answer.status === 202) acknowledged.push(...answer.ids)
      else refusal = answer
    }
    expect(statuses).not.toContain(500)
    expect(refusal?.status).toBe(503)
    expect(refusal?.body).toMatchObject({
      error: 'disk_full',
      message: expect.stringMatching(/disk is full/i)
    })
    expect(Number(refusal?.retryAfter)).toBeGreaterThan(0)
    const again = await sendBatch()
    expect([again.status, (again.body as { error: string }).error]).toEqual([503, 'disk_full'])

    // Space returns: the next request is stored, without a restart.
    db.pragma(`max_page_count = ${NO_PAGE_LIMIT}`)
    const afterSpace = await sendBatch()
    expect(afterSpace.status).toBe(202)
    acknowledged.push(...afterSpace.ids)

    await upstream.restart()
    await outpost.api.syncNow({})
    await upstream.waitFor(
      () => acknowledged.every((id) => upstream.deliveries.has(id)),
      30_000,
      `all ${acknowledged.length} acknowledged events delivered`
    )
  })
})
