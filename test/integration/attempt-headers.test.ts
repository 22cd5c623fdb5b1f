import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Attempt, AttemptExchange, HeaderLine } from '../../src/shared/model'
import type { RecordedRequest } from '../mocks/mock-upstream'
import type { TestCollector } from '../support/collector'
import { useWhisperrAndUserFlux } from '../support/whisperr-and-userflux'
import { eventually } from '../support/temp'
import { whisperrEvent } from '../support/whisperr-events'

// Distinctive, long enough to find in the database file's bytes.
const WHISPERR_KEY = 'wk_live_9f3e1d7c5b3a1e8d'
const USERFLUX_KEY = 'uf_write_4c2a0e8f6d4b2c7e'

type Recorded = Extract<AttemptExchange, { kind: 'recorded' }>

/** The one attempt of the destination's one event, through the admin API as the console reads it. */
async function onlyAttempt(outpost: TestCollector, destination: string): Promise<Attempt> {
  const [event] = (await outpost.api.listEvents({ destination })).events
  const attempts = (await outpost.api.getEvent({ id: event!.id }))?.attemptsLog
  expect(attempts).toHaveLength(1)
  return attempts![0]!
}

function recorded(attempt: Attempt): Recorded {
  if (attempt.exchange.kind !== 'recorded') throw new Error(`not recorded: ${attempt.exchange.kind}`)
  return attempt.exchange
}

const asObject = (lines: HeaderLine[] | null) =>
  Object.fromEntries((lines ?? []).map(({ name, value }) => [name.toLowerCase(), value]))

/** Every header Outpost records as sent reached the upstream with that value; the key shows masked. */
function expectHeadersAsReceived(exchange: Recorded, received: RecordedRequest, keyHeader: string) {
  const sent = asObject(exchange.requestHeaders)
  expect(sent['user-agent']).toBe(received.headers['user-agent'])
  for (const [name, value] of Object.entries(sent)) {
    if (name === keyHeader) continue
    expect(received.headers[name], name).toBe(value)
  }
  return sent[keyHeader]
}

describe('an attempt records its request and response headers, the vendor key masked', () => {
  const vendors = useWhisperrAndUserFlux({ whisperr: WHISPERR_KEY, userflux: USERFLUX_KEY })

  it('keeps method, URL, headers and body as sent and the headers as received, and no key in the file', async () => {
    vendors.whisperr.failNext(1, {
      type: 'status',
      status: 422,
      headers: { 'x-request-id': 'req_7Hq2Lm' },
      // A vendor that echoes the key: the reason quotes this body, and the body is kept.
      body: { error: 'unknown plan', key: WHISPERR_KEY }
    })
    await vendors.outpost.post('/whisperr/v1/events/track', whisperrEvent({ event_type: 'plan_changed' }))
    await vendors.outpost.post('/userflux/event/ingest', {
      userId: 'alice',
      anonymousId: null,
      name: 'feature_used',
      timestamp: Date.now(),
      properties: { n: 1 },
      deviceData: null
    })
    await eventually(async () => {
      const { counts } = await vendors.outpost.api.getStats({})
      expect([counts.failed, counts.sent]).toEqual([1, 1])
    })

    const refused = await onlyAttempt(vendors.outpost, 'whisperr')
    const whisperrRequest = vendors.whisperr.requests[0]!
    const exchange = recorded(refused)
    expect(exchange).toMatchObject({
      method: whisperrRequest.method,
      url: vendors.whisperr.url + whisperrRequest.path,
      requestBody: whisperrRequest.body,
      requestBodyBytes: Buffer.byteLength(whisperrRequest.body)
    })
    expect(whisperrRequest.headers['x-api-key']).toBe(WHISPERR_KEY)
    expect(expectHeadersAsReceived(exchange, whisperrRequest, 'x-api-key')).toBe('****1e8d')
    expect(refused.status).toBe(422)
    expect(asObject(exchange.responseHeaders)).toMatchObject({
      'x-request-id': 'req_7Hq2Lm',
      'content-type': 'application/json; charset=utf-8'
    })
    expect(exchange.responseHeadersOmitted).toBe(0)

    const delivered = recorded(await onlyAttempt(vendors.outpost, 'userflux'))
    const userfluxRequest = vendors.userflux.requests[0]!
    expect(userfluxRequest.headers.authorization).toBe(`Bearer ${USERFLUX_KEY}`)
    expect(expectHeadersAsReceived(delivered, userfluxRequest, 'authorization')).toBe('Bearer ****2c7e')
    expect(delivered.requestBody).toBe(userfluxRequest.body)

    const files = readdirSync(vendors.outpost.dataDir).filter((name) => /\.sqlite(-wal)?$/.test(name))
    expect(files).toEqual(expect.arrayContaining(['outbox.sqlite', 'outbox.sqlite-wal']))
    for (const name of files) {
      const bytes = readFileSync(join(vendors.outpost.dataDir, name))
      for (const key of [WHISPERR_KEY, USERFLUX_KEY])
        expect(bytes.includes(key), `${key} in ${name}`).toBe(false)
    }
    // The check reads what was written: the response header the mock sent is in those bytes.
    const everything = Buffer.concat(files.map((name) => readFileSync(join(vendors.outpost.dataDir, name))))
    expect(everything.includes('req_7Hq2Lm')).toBe(true)
  })
})
