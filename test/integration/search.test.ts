import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ExportedEvent } from '../../src/shared/model'
import { startTestCollector, type TestCollector } from '../support/collector'
import { eventually } from '../support/temp'
import { messageIdOf, whisperrEvent } from '../support/whisperr-events'

const BEARER = { authorization: 'Bearer test-token' }

/**
 * The collector with its search indexer (a worker thread keeping outbox-search.sqlite) and its
 * reader (a worker thread reading the outbox with the index attached), through the admin API.
 */
describe('search, time range and count through the admin API', () => {
  let outpost: TestCollector
  const kioskEvent = (kiosk: string) => whisperrEvent({ properties: { kiosk, sku: `SKU-${kiosk}-9` } })
  const messageIds = (events: { messageId: string }[]) => events.map((event) => event.messageId).sort()

  beforeAll(async () => {
    // No key: the events stay queued, so nothing changes them while the test reads.
    outpost = await startTestCollector({
      destinations: [{ id: 'whisperr', vendor: 'whisperr', baseUrl: 'http://127.0.0.1:9' }],
      searchIndex: true
    })
  })
  afterAll(async () => {
    await outpost?.close()
  })

  it('finds payload values, at once and once indexed, counts them, and edits are searched as edited', async () => {
    const berlin = [kioskEvent('Berlin-07'), kioskEvent('Berlin-07')]
    const other = kioskEvent('Oslo-01')
    expect((await outpost.post('/whisperr/v1/events/batch', { events: [...berlin, other] })).status).toBe(202)
    // Searchable as soon as stored, whether or not the indexer has reached the events yet.
    const found = await outpost.api.listEvents({ search: 'berlin-07' })
    expect(messageIds(found.events)).toEqual(berlin.map(messageIdOf).sort())
    await eventually(async () => expect((await outpost.api.getStats({})).searchBacklog).toBe(0))
    expect(messageIds((await outpost.api.listEvents({ search: 'sku-oslo' })).events)).toEqual([
      messageIdOf(other)
    ])
    expect(await outpost.api.countEvents({ search: 'BERLIN' })).toEqual({ count: 2, exact: true })

    const target = found.events[0]!
    const edited = JSON.stringify({
      ...berlin.find((event) => messageIdOf(event) === target.messageId),
      properties: { kiosk: 'Paris-02' }
    })
    await outpost.api.editPayload({ id: target.id, payload: edited })
    expect((await outpost.api.listEvents({ search: 'paris-02' })).events.map((event) => event.id)).toEqual([
      target.id
    ])
    expect(await outpost.api.countEvents({ search: 'berlin-07' })).toEqual({ count: 1, exact: true })
  })

  it('filters by time received, both ends included, in the list, the count and the export', async () => {
    const before = (await outpost.api.listEvents({ limit: 1 })).events[0]!
    expect((await outpost.post('/whisperr/v1/events/track', kioskEvent('Rome-03'))).status).toBe(202)
    const latest = (await outpost.api.listEvents({ limit: 1 })).events[0]!
    const range = { receivedFrom: latest.receivedAt, receivedTo: latest.receivedAt }
    const listed = await outpost.api.listEvents(range)
    expect(listed.events.map((event) => event.id)).toEqual([latest.id])
    expect(await outpost.api.countEvents(range)).toEqual({ count: 1, exact: true })
    const until = await outpost.api.listEvents({ receivedTo: before.receivedAt })
    expect(until.events.map((event) => event.id)).toContain(before.id)
    expect(until.events.map((event) => event.id)).not.toContain(latest.id)

    const query = new URLSearchParams({ format: 'ndjson', ...range, search: 'rome' })
    const response = await fetch(`${outpost.url}/api/events/export?${query}`, { headers: BEARER })
    expect(response.status).toBe(200)
    const lines = (await response.text()).trim().split('\n')
    expect(lines.map((line) => (JSON.parse(line) as ExportedEvent).id)).toEqual([latest.id])
  })

  it('refuses a time that is not an RFC 3339 instant, over HTTP and in the export', async () => {
    for (const path of [
      '/api/events?receivedFrom=yesterday',
      '/api/events/count?receivedTo=2026-13-01T00:00:00Z',
      '/api/events/export?receivedFrom=2026-05-01'
    ]) {
      const response = await fetch(`${outpost.url}${path}`, { headers: BEARER })
      expect(response.status, path).toBe(400)
    }
  })
})
