import { describe, expect, it } from 'vitest'
import type { AttemptExchange } from '../../src/shared/model'
import { connectorFor } from '../../src/main/connectors'
import type { AttemptRecord, ClaimedEvent } from '../../src/main/store'
import { rebuildableBody } from '../../src/main/sync/attempt-exchange'
import { newEvent } from '../support/outbox-events'
import { useTempStore } from '../support/temp-store'

const KEY = 'wk_live_7d1c9e0b44f2a1b2'
const whisperr = connectorFor('whisperr')!

/** Two users' events interleaved: a claim reads them lane by lane, not in id order. */
function interleaved(count: number) {
  return Array.from({ length: count }, (_, index) =>
    newEvent(`m${index}`, {
      userKey: `user-${index % 2}`,
      payload: `{"event_type":"order_placed","properties":{"order_id":1234567890123456789${index},"ratio":1.0},"context":{"$message_id":"m${index}"}}`
    })
  )
}

function attemptOf(body: string, outcome: AttemptRecord['outcome'], vendor = 'whisperr'): AttemptRecord {
  return {
    destination: 'whisperr',
    startedAt: 1,
    durationMs: 3,
    status: outcome === 'ok' ? 202 : 503,
    outcome,
    reason: outcome,
    request: 'POST /v1/events/batch',
    responseBody: '',
    exchange: {
      method: 'POST',
      url: 'http://127.0.0.1:9/v1/events/batch',
      requestHeaders: [['x-api-key', '****a1b2']],
      requestBody: body,
      rebuildable: outcome === 'ok' ? rebuildableBody(body, vendor, KEY) : null,
      responseHeaders: [],
      responseHeadersOmitted: 0
    }
  }
}

describe('a successful attempt keeps no copy of its body: it is rebuilt from its events', () => {
  const temp = useTempStore()

  const storedBodies = () =>
    temp.store.db.prepare('SELECT count(*) AS count, total(length(body)) AS chars FROM request_bodies').get()

  function claimAll(now: number): ClaimedEvent[] {
    const claim = temp.store.outbox.claimDueBatch('whisperr', now, 500, 60_000, () => true)
    if (claim.kind !== 'claimed') throw new Error(`expected a claim, got ${claim.kind}`)
    return claim.events
  }

  const exchangeOf = (id: number, attempt = 0): Extract<AttemptExchange, { kind: 'recorded' }> => {
    const exchange = temp.store.queries.getEvent(id)?.attemptsLog[attempt]?.exchange
    if (exchange?.kind !== 'recorded') throw new Error(`attempt not recorded: ${exchange?.kind}`)
    return exchange
  }

  it('stores no body row, and every event of the batch shows the bytes sent', () => {
    temp.store.outbox.enqueueEvents([interleaved(6)], 0)
    const events = claimAll(1)
    const body = whisperr.buildRequest(events, { apiKey: KEY }).body
    const ids = events.map((event) => event.id)
    temp.store.outbox.settleAttempt(attemptOf(body, 'ok'), [{ ids, settlement: { status: 'sent' } }], 2)

    expect(storedBodies()).toEqual({ count: 0, chars: 0 })
    for (const id of ids) {
      expect(exchangeOf(id)).toMatchObject({
        requestBody: body,
        requestBodyBytes: Buffer.byteLength(body),
        requestBodyCut: false,
        requestBodyFrom: { kind: 'rebuilt' }
      })
    }
    expect(body).toContain('"order_id":12345678901234567895,"ratio":1.0')
  })

  it('stores the body of an attempt that did not succeed, and of one whose events were not all in flight', () => {
    temp.store.outbox.enqueueEvents([interleaved(2)], 0)
    const [first, second] = claimAll(1)
    const failedBody = whisperr.buildRequest([first!, second!], { apiKey: KEY }).body
    temp.store.outbox.settleAttempt(
      attemptOf(failedBody, 'retry'),
      [{ ids: [first!.id, second!.id], settlement: { status: 'retrying', nextAttemptAt: 2, error: 'down' } }],
      1
    )
    expect(exchangeOf(first!.id).requestBodyFrom).toEqual({ kind: 'stored' })

    // A lease that ran out: the second event went back to the queue before the answer came.
    const again = claimAll(3)
    temp.store.outbox.releaseClaim([second!.id], 10, 'lease ran out')
    const body = whisperr.buildRequest(again, { apiKey: KEY }).body + ' '
    temp.store.outbox.settleAttempt(
      attemptOf(body, 'ok'),
      [{ ids: again.map((event) => event.id), settlement: { status: 'sent' } }],
      4
    )
    expect(storedBodies()).toEqual({ count: 2, chars: failedBody.length + body.length })
    expect(exchangeOf(first!.id)).toMatchObject({ requestBody: body, requestBodyFrom: { kind: 'stored' } })
  })

  it('says the body is unavailable, never another, when events were pruned or the rebuild differs', () => {
    temp.store.outbox.enqueueEvents([interleaved(2)], 0)
    const pair = claimAll(1)
    const body = whisperr.buildRequest(pair, { apiKey: KEY }).body
    temp.store.outbox.settleAttempt(
      attemptOf(body, 'ok'),
      [{ ids: pair.map((event) => event.id), settlement: { status: 'sent' } }],
      2
    )
    temp.store.outbox.enqueueEvents([[newEvent('flywheel-1')]], 3)
    const [alone] = claimAll(4)
    // Built by another connector than the one named: Flywheel sends the payload alone.
    const whisperrBody = whisperr.buildRequest([alone!], { apiKey: KEY }).body
    temp.store.outbox.settleAttempt(
      attemptOf(whisperrBody, 'ok', 'flywheel'),
      [{ ids: [alone!.id], settlement: { status: 'sent' } }],
      5
    )
    expect(exchangeOf(alone!.id)).toMatchObject({
      requestBody: '',
      requestBodyCut: false,
      requestBodyFrom: { kind: 'unavailable', reason: expect.stringMatching(/not the bytes sent/) }
    })

    // The newest event (alone) is never pruned; one of the pair goes in a chunk of one.
    expect(temp.store.retention.pruneExpired(10, 1)).toBe(1)
    const kept = pair.find((event) => temp.store.queries.getEvent(event.id) !== null)!
    expect(exchangeOf(kept.id)).toMatchObject({
      requestBody: '',
      requestBodyFrom: {
        kind: 'unavailable',
        reason: expect.stringMatching(/^1 of the 2 events it carried were deleted/)
      }
    })
  })
})
