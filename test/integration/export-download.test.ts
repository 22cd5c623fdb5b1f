import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EventFilter, EventQuery, ExportedEvent } from '../../src/shared/model'
import { startMockWhisperr, type MockWhisperr } from '../mocks/whisperr'
import { parseCsv } from '../support/csv'
import { startTestCollector, type TestCollector } from '../support/collector'
import { eventually } from '../support/temp'
import { messageIdOf, whisperrEvent } from '../support/whisperr-events'

const BEARER = { authorization: 'Bearer test-token' }

describe('the export download (GET /api/events/export)', () => {
  let upstream: MockWhisperr
  let outpost: TestCollector
  let refusedAttemptId: number
  let someMessageId: string

  beforeAll(async () => {
    upstream = await startMockWhisperr({ apiKey: 'k' })
    outpost = await startTestCollector({
      destinations: [
        { id: 'whisperr', vendor: 'whisperr', baseUrl: upstream.url, apiKey: 'k' },
        // No key: its events stay queued.
        { id: 'held', vendor: 'whisperr', baseUrl: upstream.url }
      ]
    })
    const batch = (n: number) =>
      Array.from({ length: n }, (_, i) => whisperrEvent(i % 3 === 0 ? { external_user_id: 'alice' } : {}))
    // The first upstream request is refused for good: its events fail, and they are one request's.
    upstream.failNext(1, { type: 'status', status: 422 })
    const refused = batch(10)
    someMessageId = messageIdOf(refused[4]!)
    expect((await outpost.post('/whisperr/v1/events/batch', { events: refused })).status).toBe(202)
    await eventually(async () =>
      expect((await outpost.api.listEvents({ status: 'failed' })).events).toHaveLength(10)
    )
    expect((await outpost.post('/whisperr/v1/events/batch', { events: batch(12) })).status).toBe(202)
    expect((await outpost.post('/held/v1/events/batch', { events: batch(9) })).status).toBe(202)
    await eventually(async () => expect((await outpost.api.getStats({})).counts.sent).toBe(12))
    const failed = (await outpost.api.listEvents({ status: 'failed', limit: 1 })).events[0]!
    refusedAttemptId = (await outpost.api.getEvent({ id: failed.id }))!.attemptsLog[0]!.id
  })
  afterAll(async () => {
    await outpost?.close()
    await upstream?.close()
  })

  const download = (query: string, headers: Record<string, string> = BEARER) =>
    fetch(`${outpost.url}/api/events/export${query}`, { headers })

  it('streams each format as an attachment with its content type, named for when it was made', async () => {
    const expected = {
      json: 'application/json; charset=utf-8',
      ndjson: 'application/x-ndjson; charset=utf-8',
      csv: 'text/csv; charset=utf-8; header=present'
    }
    for (const [format, contentType] of Object.entries(expected)) {
      const response = await download(`?format=${format}&destination=held`)
      expect(response.status).toBe(200)
      expect(response.headers.get('content-type')).toBe(contentType)
      expect(response.headers.get('content-disposition')).toMatch(
        new RegExp(
          `^attachment; filename="outpost-events-\\d{4}-\\d\\d-\\d\\dT\\d\\d-\\d\\d-\\d\\dZ\\.${format}"$`
        )
      )
      expect(response.headers.get('cache-control')).toBe('no-store')
      const body = await response.text()
      if (format === 'json') expect(JSON.parse(body).events).toHaveLength(9)
      if (format === 'ndjson') expect(body.trim().split('\n')).toHaveLength(9)
      if (format === 'csv') expect(parseCsv(body)).toHaveLength(10)
    }
    // Without a format, JSON, as before formats existed.
    const plain = await download('')
    expect(plain.headers.get('content-type')).toBe(expected.json)
    expect((JSON.parse(await plain.text()) as { events: unknown[] }).events).toHaveLength(31)
  })

  it('is the admin API: the token or a console session, checked before anything is read; bad filters are 400', async () => {
    const anonymous = await download('?format=csv', {})
    expect(anonymous.status).toBe(401)
    expect(await anonymous.json()).toMatchObject({ error: 'not_signed_in' })
    expect((await download('', { authorization: 'Bearer wrong-token-0000' })).status).toBe(401)

    const session = await fetch(`${outpost.url}/api/session`, { method: 'POST', headers: BEARER })
    const cookie = /^(outpost_session=[^;]+)/.exec(session.headers.get('set-cookie') ?? '')?.[1]
    expect(cookie).toBeDefined()
    const withCookie = await download('?format=ndjson&destination=held', { cookie: cookie! })
    expect(withCookie.status).toBe(200)
    expect((await withCookie.text()).trim().split('\n')).toHaveLength(9)

    for (const query of ['?format=xml', '?status=lost', '?attemptId=none', '?limit=5']) {
      const refused = await download(query)
      expect(refused.status, query).toBe(400)
      expect(await refused.json()).toMatchObject({ error: 'invalid_input' })
    }
  })

  /** Every id the list shows for these filters, page after page, newest first. */
  async function listedIds(filter: EventFilter): Promise<number[]> {
    const ids: number[] = []
    let query: EventQuery = { ...filter, limit: 7 }
    for (;;) {
      const page = await outpost.api.listEvents(query)
      ids.push(...page.events.map((event) => event.id))
      if (page.nextBeforeId === null) return ids
      query = { ...query, beforeId: page.nextBeforeId }
    }
  }

  it('exports exactly the events the list shows for the same filters', async () => {
    const filters: EventFilter[] = [
      {},
      { status: 'failed' },
      { status: 'sent' },
      { status: 'queued' },
      { destination: 'held' },
      { destination: 'whisperr', status: 'sent' },
      { search: 'alice' },
      { search: 'alice', destination: 'held' },
      { search: someMessageId },
      { attemptId: refusedAttemptId },
      { attemptId: refusedAttemptId, search: 'alice' }
    ]
    for (const filter of filters) {
      const query = new URLSearchParams(
        Object.entries(filter).map(([k, v]): [string, string] => [k, String(v)])
      )
      const response = await download(`?format=ndjson&${query}`)
      const exported = (await response.text())
        .split('\n')
        .filter(Boolean)
        .map((line) => (JSON.parse(line) as ExportedEvent).id)
      const listed = await listedIds(filter)
      expect(listed.length, JSON.stringify(filter)).toBeGreaterThan(0)
      expect(exported, JSON.stringify(filter)).toEqual(listed)
    }
  })
})
