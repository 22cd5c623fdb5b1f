import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Attempt, AttemptExchange } from '../../src/shared/model'
import { startMockWhisperr, type MockWhisperr } from '../mocks/whisperr'
import { startTestCollector, type TestCollector } from '../support/collector'
import { eventually } from '../support/temp'

/**
 * A successful attempt stores no body: the event detail rebuilds it from the events it carried,
 * and it must be the bytes the vendor received. An attempt that did not succeed keeps its body,
 * whatever is done to its events afterwards.
 */

const KEY = 'wk_live_3b8e0c6a2f9d4e1c'

/** Numbers a parsed-and-serialized payload would not keep: a 20-digit integer, `1.0`, `-0`. */
function trackText(messageId: string, user: string, orderId: string): string {
  const occurredAt = new Date().toISOString()
  return `{"external_user_id":"${user}","event_type":"order_placed","occurred_at":"${occurredAt}","properties":{"order_id":${orderId},"ratio":1.0,"z":-0},"context":{"$message_id":"${messageId}"}}`
}

type Recorded = Extract<AttemptExchange, { kind: 'recorded' }>

function recorded(attempt: Attempt | undefined): Recorded {
  if (attempt?.exchange.kind !== 'recorded') throw new Error(`not recorded: ${attempt?.exchange.kind}`)
  return attempt.exchange
}

describe('request bodies of attempts', () => {
  let upstream: MockWhisperr
  let outpost: TestCollector

  beforeEach(async () => {
    upstream = await startMockWhisperr({ apiKey: KEY })
    outpost = await startTestCollector({
      destinations: [{ id: 'whisperr', vendor: 'whisperr', baseUrl: upstream.url, apiKey: KEY }]
    })
  })
  afterEach(async () => {
    await outpost.close()
    await upstream.close()
  })

  /** What request_bodies holds: rows and characters. */
  const storedBodies = () =>
    outpost.collector.store.db
      .prepare('SELECT count(*) AS count, total(length(body)) AS chars FROM request_bodies')
      .get()

  const accepted = () => upstream.requests.filter((request) => request.status === 202)

  it('stores no body for a delivered batch, and shows each event the bytes the vendor received', async () => {
    await outpost.api.pauseDestination({ id: 'whisperr' })
    // Three users' events interleaved: claimed lane by lane, sent in id order.
    const texts = Array.from({ length: 9 }, (_, index) =>
      trackText(`batch-${index}`, `user-${index % 3}`, `9876543210987654321${index}`)
    )
    expect((await outpost.post('/whisperr/v1/events/batch', `{"events":[${texts.join(',')}]}`)).status).toBe(
      202
    )
    const before = storedBodies()

    await outpost.api.resumeDestination({ id: 'whisperr' })
    await eventually(async () => expect((await outpost.api.getStats({})).counts.sent).toBe(9))

    expect(storedBodies()).toEqual(before)
    expect(before).toEqual({ count: 0, chars: 0 })
    const [request] = accepted()
    expect(accepted()).toHaveLength(1)
    expect(request!.body).toContain('"order_id":98765432109876543218,"ratio":1.0,"z":-0')
    const { events } = await outpost.api.listEvents({ destination: 'whisperr' })
    expect(events).toHaveLength(9)
    for (const event of events) {
      const exchange = recorded((await outpost.api.getEvent({ id: event.id }))?.attemptsLog[0])
      expect(exchange.requestBodyFrom).toEqual({ kind: 'rebuilt' })
      expect(exchange.requestBody).toBe(request!.body)
      expect(exchange.requestBodyBytes).toBe(Buffer.byteLength(request!.body))
    }
  })

  it("keeps a refused attempt's body as sent after the event is edited, and rebuilds the delivered one", async () => {
    upstream.failNext(1, { type: 'status', status: 422, body: { error: 'order_unknown' } })
    const sent = trackText('edit-1', 'alice', '12345678901234567890')
    expect((await outpost.post('/whisperr/v1/events/track', sent)).status).toBe(202)
    const id = await eventually(async () => {
      const [event] = (await outpost.api.listEvents({ status: 'failed' })).events
      expect(event).toBeDefined()
      return event!.id
    })
    const refused = upstream.requests[0]!
    expect(storedBodies()).toEqual({ count: 1, chars: refused.body.length })

    const edited = trackText('edit-1', 'alice', '12345678901234567891')
    await outpost.api.editPayload({ id, payload: edited })
    await outpost.api.resendEvents({ ids: [id] })
    await eventually(() => expect(accepted()).toHaveLength(1))
    await eventually(async () => expect((await outpost.api.getEvent({ id }))?.status).toBe('sent'))

    const [delivered, failed] = (await outpost.api.getEvent({ id }))!.attemptsLog
    expect(recorded(failed)).toMatchObject({ requestBody: refused.body, requestBodyFrom: { kind: 'stored' } })
    expect(refused.body).toContain(sent)
    expect(recorded(delivered)).toMatchObject({
      requestBody: accepted()[0]!.body,
      requestBodyFrom: { kind: 'rebuilt' }
    })
    expect(accepted()[0]!.body).toContain(edited)
    // The delivery added no body: only the refused attempt's is stored.
    expect(storedBodies()).toEqual({ count: 1, chars: refused.body.length })
  })

  it('keeps the body of a batch the vendor accepted only in part, whose events are sent again in halves', async () => {
    await outpost.api.pauseDestination({ id: 'whisperr' })
    const texts = Array.from({ length: 4 }, (_, index) =>
      trackText(`part-${index}`, 'bob', `1000000000000000000${index}`)
    )
    expect((await outpost.post('/whisperr/v1/events/batch', `{"events":[${texts.join(',')}]}`)).status).toBe(
      202
    )
    upstream.failNext(1, { type: 'status', status: 202, body: { accepted: 3, rejected: 1 } })
    await outpost.api.resumeDestination({ id: 'whisperr' })
    await eventually(async () => expect((await outpost.api.getStats({})).counts.sent).toBe(4))

    const [partial] = upstream.requests
    expect(storedBodies()).toEqual({ count: 1, chars: partial!.body.length })
    const [first] = (await outpost.api.listEvents({ destination: 'whisperr' })).events.slice(-1)
    const [delivered, split] = (await outpost.api.getEvent({ id: first!.id }))!.attemptsLog
    expect(split?.outcome).toBe('permanent')
    expect(recorded(split)).toMatchObject({ requestBody: partial!.body, requestBodyFrom: { kind: 'stored' } })
    expect(recorded(delivered).requestBodyFrom).toEqual({ kind: 'rebuilt' })
    expect(accepted().map((request) => request.body)).toContain(recorded(delivered).requestBody)
  })
})
