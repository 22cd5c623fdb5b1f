import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startMockWhisperr, type MockWhisperr } from '../mocks/whisperr'
import { startTestCollector, type TestCollector } from '../support/collector'
import { eventually } from '../support/temp'

/**
 * A person's edit and an export keep numbers as written too: payloads cross the admin API as
 * JSON text, an edit is stored as the text the person wrote, and it goes upstream as that text.
 */

const EXACT = '{"order_id":12345678901234567890,"ratio":1.0,"e":1e3,"z":-0}'

function trackText(messageId: string, properties: string, eventType = 'order_placed'): string {
  const occurredAt = new Date().toISOString()
  return `{"external_user_id":"u1","event_type":"${eventType}","occurred_at":"${occurredAt}","properties":${properties},"context":{"$message_id":"${messageId}"}}`
}

describe('payloads as text through the admin API', () => {
  let upstream: MockWhisperr
  let outpost: TestCollector

  beforeEach(async () => {
    upstream = await startMockWhisperr({ apiKey: 'k' })
    outpost = await startTestCollector({
      destinations: [{ id: 'whisperr', vendor: 'whisperr', baseUrl: upstream.url, apiKey: 'k' }]
    })
  })
  afterEach(async () => {
    await outpost.close()
    await upstream.close()
  })

  it('shows, exports and resends an edited payload with every digit the person wrote', async () => {
    upstream.failNext(1, { type: 'status', status: 422, body: { error: 'order_unknown' } })
    const received = trackText('edit-1', EXACT)
    expect((await outpost.post('/whisperr/v1/events/track', received)).status).toBe(202)
    const id = await eventually(async () => {
      const [event] = (await outpost.api.listEvents({ status: 'failed' })).events
      expect(event).toBeDefined()
      return event!.id
    })
    expect((await outpost.api.getEvent({ id }))?.payload).toBe(received)

    const edited = trackText('edit-1', '{\n  "order_id": 98765432109876543210,\n  "ratio": 2.50\n}')
    const detail = await outpost.api.editPayload({ id, payload: edited })
    expect(detail).toMatchObject({ payload: edited, receivedPayload: received, revision: 1 })

    const exported = await fetch(`${outpost.url}/api/events/export?format=json`, {
      headers: { authorization: 'Bearer test-token' }
    })
    expect(await exported.text()).toContain(`"receivedPayload":${received},"payload":${edited},`)

    await outpost.api.resendEvents({ ids: [id] })
    await eventually(() => expect(upstream.requests.filter((r) => r.status === 202)).toHaveLength(1))
    const delivered = upstream.requests.find((request) => request.status === 202)!
    expect(delivered.body).toBe(`{"events":[${edited}]}`)
  })

  it('stores a batch that names "events" twice as JSON.parse reads it: the last, which was validated', async () => {
    upstream.stop()
    const unchecked = trackText('dup-first', '{}', 'NOT snake case')
    const checked = trackText('dup-last', '{"n":1.0}')
    const body = `{"events":[${unchecked}],"events":[${checked}]}`
    expect((await outpost.post('/whisperr/v1/events/batch', body)).status).toBe(202)
    const { events } = await outpost.api.listEvents({})
    expect(events).toHaveLength(1)
    expect((await outpost.api.getEvent({ id: events[0]!.id }))?.payload).toBe(checked)
  })

  it("stores each event's text once: the payload as received is kept apart only after a change", async () => {
    // Paused, not the upstream stopped: an event leased for a failing attempt cannot be edited meanwhile.
    await outpost.api.pauseDestination({ id: 'whisperr' })
    const texts = [trackText('once-1', EXACT), trackText('once-2', '{}')]
    const batch = `{"events":[${texts.join(',\n ')}]}`
    expect((await outpost.post('/whisperr/v1/events/batch', batch)).status).toBe(202)
    const stored = () =>
      outpost.collector.store.db
        .prepare('SELECT payload, received_payload AS receivedPayload FROM outbox ORDER BY id')
        .all()
    expect(stored()).toEqual(texts.map((payload) => ({ payload, receivedPayload: null })))
    const [, second] = (await outpost.api.listEvents({})).events.sort((a, b) => a.id - b.id)
    const edited = trackText('once-2', '{"fixed":true}')
    await outpost.api.editPayload({ id: second!.id, payload: edited })
    expect(stored()).toEqual([
      { payload: texts[0], receivedPayload: null },
      { payload: edited, receivedPayload: texts[1] }
    ])
    await outpost.api.resumeDestination({ id: 'whisperr' })
  })

  it('refuses an edit that is not JSON, or nests too deep, with words and no change', async () => {
    await outpost.post('/whisperr/v1/events/track', trackText('edit-2', '{}'))
    upstream.stop()
    const [event] = (await outpost.api.listEvents({})).events
    const refusal = (payload: string) =>
      outpost.api.editPayload({ id: event!.id, payload }).then(
        () => null,
        (error: { status: number; problems: unknown[] }) => error
      )
    expect(await refusal('{"event_type": ')).toMatchObject({
      status: 400,
      problems: [{ field: '', reason: expect.stringMatching(/^is not valid: /) }]
    })
    const deep = trackText('edit-2', `${'{"a":'.repeat(40)}1${'}'.repeat(40)}`)
    expect(await refusal(deep)).toMatchObject({
      status: 400,
      problems: [{ field: '', reason: 'is not valid: nests deeper than 32 levels' }]
    })
    expect((await outpost.api.getEvent({ id: event!.id }))?.revision).toBe(0)
  })
})
