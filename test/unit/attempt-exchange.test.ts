import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { ATTEMPT_BODY_SHOWN, RESPONSE_HEADERS_KEPT, type AttemptExchange } from '../../src/shared/model'
import { connectors } from '../../src/main/connectors'
import type { AttemptRecord, ExchangeRecord } from '../../src/main/store'
import { migrate, migrations } from '../../src/main/store/migrations'
import { createQueries } from '../../src/main/store/queries'
import {
  createMasker,
  credentialHeaders,
  keptResponseHeaders,
  maskSecret,
  recordExchange
} from '../../src/main/sync/attempt-exchange'
import { newEvent } from '../support/outbox-events'
import { useTempStore } from '../support/temp-store'

const KEY = 'wk_live_7d1c9e0b44f2a1b2'

function connector(vendor: string) {
  const found = connectors.find((candidate) => candidate.vendor === vendor)
  if (!found) throw new Error(`no connector ${vendor}`)
  return found
}

describe('masking what an attempt records', () => {
  it('shows the last 4 characters of a secret of 16 or more, and nothing of a shorter one', () => {
    expect(maskSecret(KEY)).toBe('****a1b2')
    expect(maskSecret('abcdefghijklmno')).toBe('****')
  })

  it("masks every vendor's key headers, keeping an auth scheme, in what each connector builds", () => {
    const event = {
      id: 1,
      messageId: 'm1',
      kind: 'track' as const,
      name: 'opened',
      payload: '{}',
      upstreamParams: '{"projectId":"p1"}',
      attempts: 0
    }
    for (const vendor of connectors) {
      const built = vendor.buildRequest([event], { apiKey: KEY })
      const mask = createMasker(credentialHeaders(vendor), KEY)
      const masked = Object.fromEntries(mask.headers(Object.entries(built.headers)))
      expect(JSON.stringify(masked), vendor.vendor).not.toContain(KEY.slice(0, -4))
      expect(
        Object.values(masked).some((value) => value.endsWith('****a1b2')),
        vendor.vendor
      ).toBe(true)
    }
    const userflux = createMasker(credentialHeaders(connector('userflux')), KEY)
    expect(userflux.headers([['Authorization', `Bearer ${KEY}`]])).toEqual([
      ['Authorization', 'Bearer ****a1b2']
    ])
  })

  it('masks a short key in its header, and does not search free text for it', () => {
    const mask = createMasker(credentialHeaders(connector('whisperr')), 'k')
    expect(mask.headers([['x-api-key', 'k']])).toEqual([['x-api-key', '****']])
    expect(mask.text('{"kind":"track"}')).toBe('{"kind":"track"}')
  })

  it('masks the key wherever else it appears: other headers, the URL, both bodies', () => {
    const mask = createMasker(credentialHeaders(connector('whisperr')), KEY)
    const record = recordExchange(
      {
        url: `http://127.0.0.1/v1/events?key=${KEY}`,
        headers: { 'user-agent': 'Outpost/0.1', 'x-echo': `was ${KEY}` },
        body: `{"note":"${KEY}"}`
      },
      { status: 401, headers: { 'x-seen-key': KEY, 'set-cookie': ['session=abcdefghijklmnop'] }, body: '' },
      mask
    )
    expect(JSON.stringify(record)).not.toContain(KEY)
    expect(record).toEqual({
      method: 'POST',
      url: 'http://127.0.0.1/v1/events?key=****a1b2',
      requestHeaders: [
        ['user-agent', 'Outpost/0.1'],
        ['x-echo', 'was ****a1b2']
      ],
      requestBody: '{"note":"****a1b2"}',
      rebuildable: null,
      responseHeaders: [
        ['x-seen-key', '****a1b2'],
        ['set-cookie', '****mnop']
      ],
      responseHeadersOmitted: 0
    })
  })

  it('keeps response header lines in order up to 16 KB of header text, one line per repeated value', () => {
    const line = 'v'.repeat(1_000)
    const headers = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`x-h${i}`, line]))
    const kept = keptResponseHeaders({ 'set-cookie': ['a=1', 'b=2'], ...headers })
    expect(kept.pairs.slice(0, 2)).toEqual([
      ['set-cookie', 'a=1'],
      ['set-cookie', 'b=2']
    ])
    const bytes = kept.pairs.reduce((sum, [name, value]) => sum + `${name}: ${value}\r\n`.length, 0)
    expect(bytes).toBeLessThanOrEqual(RESPONSE_HEADERS_KEPT)
    expect(kept.pairs.length + kept.omitted).toBe(22)
    expect(kept.omitted).toBe(22 - 2 - Math.floor((RESPONSE_HEADERS_KEPT - 20) / 1_009))
  })
})

const exchange: ExchangeRecord = {
  method: 'POST',
  url: 'http://127.0.0.1:9/v1/events/batch',
  requestHeaders: [
    ['user-agent', 'Outpost/0.1'],
    ['x-api-key', '****a1b2']
  ],
  requestBody: '{"events":[{"event_type":"trial_started"}]}',
  rebuildable: null,
  responseHeaders: [['x-request-id', 'req_42']],
  responseHeadersOmitted: 0
}

const attempt: AttemptRecord = {
  destination: 'whisperr',
  startedAt: 1,
  durationMs: 3,
  status: 503,
  outcome: 'retry',
  reason: 'down',
  request: 'POST /v1/events/batch (1 event, 44 bytes)',
  responseBody: 'busy',
  exchange
}

describe('the store keeps what each attempt sent and received', () => {
  const temp = useTempStore()

  const bodies = () => temp.store.db.prepare('SELECT count(*) FROM request_bodies').pluck().get()

  /** Claims everything waiting and settles it with `record`; returns the claimed ids. */
  function attemptAll(record: AttemptRecord, now: number, status: 'retrying' | 'sent'): number[] {
    const claim = temp.store.outbox.claimDueBatch('whisperr', now, 500, 1_000, () => true)
    if (claim.kind !== 'claimed') throw new Error(`expected a claim, got ${claim.kind}`)
    const ids = claim.events.map((event) => event.id)
    const settlement =
      status === 'sent' ? { status } : { status, nextAttemptAt: now + 1, error: 'down' as string }
    temp.store.outbox.settleAttempt(record, [{ ids, settlement }], now)
    return ids
  }

  it('returns the exchange with the attempt, and stores a body sent again by a retry once', () => {
    temp.store.outbox.enqueueEvents([[newEvent('a'), newEvent('b')]], 0)
    const [a] = attemptAll(attempt, 1, 'retrying')
    attemptAll({ ...attempt, status: 202, outcome: 'ok', startedAt: 2 }, 2, 'sent')
    expect(bodies()).toBe(1)
    const log = temp.store.queries.getEvent(a!)?.attemptsLog ?? []
    expect(log.map((entry) => entry.exchange)).toEqual([recorded(exchange), recorded(exchange)])
  })

  it('gives the first 64 KB of a longer body, and says it is cut', () => {
    temp.store.outbox.enqueueEvents([[newEvent('a')]], 0)
    const requestBody = JSON.stringify({ events: ['x'.repeat(ATTEMPT_BODY_SHOWN)] })
    const [a] = attemptAll({ ...attempt, exchange: { ...exchange, requestBody } }, 1, 'retrying')
    const shown = temp.store.queries.getEvent(a!)?.attemptsLog[0]?.exchange
    expect(shown).toMatchObject({
      requestBody: requestBody.slice(0, ATTEMPT_BODY_SHOWN),
      requestBodyBytes: requestBody.length,
      requestBodyCut: true
    })
  })

  it('deletes a body with the last attempt that sent it', () => {
    temp.store.outbox.enqueueEvents([[newEvent('a')]], 0)
    attemptAll(attempt, 1, 'retrying')
    attemptAll({ ...attempt, outcome: 'ok', status: 202 }, 2, 'sent')
    // The newest event is never pruned: another after it.
    temp.store.outbox.enqueueEvents([[newEvent('b')]], 3)
    expect(bodies()).toBe(1)
    expect(temp.store.retention.pruneExpired(10, 500)).toBe(1)
    expect(temp.store.db.prepare('SELECT count(*) FROM attempts').pluck().get()).toBe(0)
    expect(bodies()).toBe(0)
  })
})

function recorded(record: ExchangeRecord): AttemptExchange {
  return {
    kind: 'recorded',
    method: record.method,
    url: record.url,
    requestHeaders: record.requestHeaders.map(([name, value]) => ({ name, value })),
    requestBody: record.requestBody,
    requestBodyBytes: Buffer.byteLength(record.requestBody),
    requestBodyCut: false,
    requestBodyFrom: { kind: 'stored' },
    responseHeaders: record.responseHeaders?.map(([name, value]) => ({ name, value })) ?? null,
    responseHeadersOmitted: record.responseHeadersOmitted
  }
}

describe('migration 12', () => {
  it('keeps the attempts of a database at version 11, which read as not recorded (or not sent)', () => {
    const db = new Database(':memory:')
    migrate(db, migrations.slice(0, 11))
    expect(db.pragma('user_version', { simple: true })).toBe(11)
    db.prepare(
      `INSERT INTO outbox (id, destination, message_id, kind, name, received_at, payload, next_attempt_at, bytes, status)
       VALUES (1, 'whisperr', 'm1', 'track', 'x', 0, '{}', 0, 2, 'failed')`
    ).run()
    const insertAttempt = db.prepare(
      `INSERT INTO attempts (id, destination, started_at, duration_ms, status, outcome, reason, request, response_body, batch_size)
       VALUES (?, 'whisperr', 1, 5, ?, 'permanent', 'refused', ?, ?, 1)`
    )
    insertAttempt.run(1, 422, 'POST /v1/events/track (1 event, 2 bytes)', '{"error":"bad"}')
    insertAttempt.run(2, null, 'not sent', null)
    db.prepare(`INSERT INTO attempt_events (event_id, attempt_id) VALUES (1, 1), (1, 2)`).run()

    migrate(db)
    expect(db.pragma('user_version', { simple: true })).toBe(migrations.length)
    const log = createQueries(db).getEvent(1)?.attemptsLog ?? []
    expect(log.map((entry) => [entry.id, entry.status, entry.responseBody, entry.exchange])).toEqual([
      [2, null, null, { kind: 'not_sent' }],
      [1, 422, '{"error":"bad"}', { kind: 'not_recorded' }]
    ])
    const plan = db.prepare(`EXPLAIN QUERY PLAN SELECT 1 FROM attempts WHERE request_body_id = 7`).all() as {
      detail: string
    }[]
    expect(plan.map((row) => row.detail).join(' | ')).toMatch(/USING COVERING INDEX attempts_request_body/)
    db.close()
  })
})
