import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestCollector, type TestCollector } from '../support/collector'
import { whisperrEvent } from '../support/whisperr-events'

const BODY_LIMIT = 64 * 1024

/** Bodies a buggy or hostile client may send: each gets a 4xx JSON answer and nothing is stored. */
describe('ingest error answers', () => {
  let outpost: TestCollector

  beforeAll(async () => {
    // No upstream key: accepted events stay queued, so the outbox shows exactly what was stored.
    outpost = await startTestCollector({
      destinations: [{ id: 'whisperr', vendor: 'whisperr', baseUrl: 'http://127.0.0.1:9' }],
      ingest: { bodyLimitBytes: BODY_LIMIT }
    })
  })
  afterAll(() => outpost.close())

  const send = async (body: string, contentType = 'application/json') => {
    const response = await fetch(`${outpost.url}/whisperr/v1/events/track`, {
      method: 'POST',
      headers: { 'content-type': contentType },
      body
    })
    return { status: response.status, body: (await response.json()) as { error: string; message: string } }
  }
  const stored = async () => (await outpost.api.getStats({})).counts.queued

  it('says where a body stops being JSON', async () => {
    const answer = await send('{"event_type": "a",}')
    expect(answer.status).toBe(400)
    expect(answer.body.error).toBe('invalid_json')
    expect(answer.body.message).toMatch(/^The body is not valid JSON: .*position 19/)
  })

  it('refuses __proto__ and constructor.prototype keys, as JSON and as text/plain', async () => {
    const poisoned = (key: string) =>
      JSON.stringify(whisperrEvent()).replace('"properties":{', `"properties":{${key},`)
    for (const contentType of ['application/json', 'text/plain']) {
      for (const key of ['"__proto__":{"admin":true}', '"constructor":{"prototype":{"admin":true}}']) {
        const answer = await send(poisoned(key), contentType)
        expect(answer.status, `${key} as ${contentType}`).toBe(400)
        expect(answer.body).toMatchObject({
          error: 'forbidden_key',
          message: expect.stringMatching(/__proto__/)
        })
      }
    }
    expect(await stored()).toBe(0)
  })

  it('accepts a property that is merely named constructor, and JSON sent as text/plain', async () => {
    const named = await send(JSON.stringify(whisperrEvent({ properties: { constructor: 'Ada' } })))
    expect(named.status).toBe(202)
    const beacon = await send(JSON.stringify(whisperrEvent()), 'text/plain')
    expect(beacon.status).toBe(202)
    expect(await stored()).toBe(2)
  })

  it('names the body limit when a body is too large', async () => {
    const event = whisperrEvent({ properties: { blob: 'x'.repeat(BODY_LIMIT) } })
    const answer = await send(JSON.stringify(event))
    expect(answer.status).toBe(413)
    expect(answer.body).toMatchObject({
      error: 'body_too_large',
      message: expect.stringMatching(`${BODY_LIMIT} bytes .*ingest.bodyLimitBytes`)
    })
  })

  it('refuses empty bodies, other media types and bodies nested too deep', async () => {
    expect(await send('')).toMatchObject({ status: 400, body: { error: 'empty_body' } })
    expect(await send('<event/>', 'application/xml')).toMatchObject({
      status: 415,
      body: { error: 'unsupported_media_type' }
    })
    const deep = JSON.stringify(
      whisperrEvent({ properties: { a: JSON.parse('['.repeat(40) + ']'.repeat(40)) } })
    )
    expect(await send(deep)).toMatchObject({ status: 400, body: { error: 'too_deep' } })
  })

  it('keeps running and storing after all of that', async () => {
    const before = await stored()
    expect((await send(JSON.stringify(whisperrEvent()))).status).toBe(202)
    expect(await stored()).toBe(before + 1)
  })
})

describe('the rejection log', () => {
  let outpost: TestCollector

  beforeAll(async () => {
    outpost = await startTestCollector({
      destinations: [{ id: 'whisperr', vendor: 'whisperr', baseUrl: 'http://127.0.0.1:9' }]
    })
  })
  afterAll(() => outpost.close())

  const rawPost = (path: string, body: string) =>
    fetch(`${outpost.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })

  it('shows each refused ingest request as the client saw it, newest first, and nothing else', async () => {
    const bad = whisperrEvent({ event_type: 'Signed Up' })
    // The log shows the body as it came, layout and every digit, not a value written back out.
    const refusedText = `{ "events": [${JSON.stringify(whisperrEvent({ properties: { id: 0 } })).replace(
      '"id":0',
      '"id": 12345678901234567890'
    )},\n ${JSON.stringify(bad)}] }`
    expect((await rawPost('/whisperr/v1/events/batch', refusedText)).status).toBe(400)
    expect((await rawPost('/whisperr/v1/events/track', '{"event_type": ')).status).toBe(400)
    expect((await rawPost('/v1/events/track?x=1', JSON.stringify(bad))).status).toBe(404)
    // Not refusals of ingest: an accepted event, an admin API error, a console asset that is missing.
    expect((await outpost.post('/whisperr/v1/events/track', whisperrEvent())).status).toBe(202)
    expect((await fetch(`${outpost.url}/api/stats`)).status).toBe(401)
    expect((await fetch(`${outpost.url}/favicon.ico`)).status).toBe(404)

    const stats = await outpost.api.getStats({})
    expect(stats.rejections).toEqual({ count: 3, lastId: 3 })
    const [wrongUrl, notJson, invalid] = await outpost.api.listRejections({})
    expect(invalid).toMatchObject({
      method: 'POST',
      url: '/whisperr/v1/events/batch',
      destination: 'whisperr',
      status: 400,
      error: 'invalid_request',
      message: expect.stringMatching(/^event 1: event_type must be snake_case/),
      fields: [{ index: 1, field: 'event_type', reason: expect.stringMatching(/snake_case/) }]
    })
    expect(invalid!.body).toBe(refusedText)
    expect(notJson).toMatchObject({ error: 'invalid_json', fields: [], body: '{"event_type": ' })
    expect(notJson!.message).toMatch(/not valid JSON/)
    expect(wrongUrl).toMatchObject({
      url: '/v1/events/track?x=1',
      destination: null,
      status: 404,
      error: 'not_found'
    })
    expect(Date.parse(wrongUrl!.at)).toBeGreaterThanOrEqual(Date.parse(invalid!.at))
  })

  it('pages by limit and forgets everything when cleared, while ids keep counting', async () => {
    expect(await outpost.api.listRejections({ limit: 1 })).toHaveLength(1)
    await outpost.api.clearRejections({})
    expect(await outpost.api.listRejections({})).toEqual([])
    expect((await rawPost('/whisperr/v1/identify', '[]')).status).toBe(400)
    expect((await outpost.api.getStats({})).rejections).toEqual({ count: 1, lastId: 4 })
  })
})
