import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { connectors } from '../../src/main/connectors'
import type { StatusCounts } from '../../src/shared/model'
import { startTestCollector, type TestCollector } from '../support/collector'
import { whisperrEvent } from '../support/whisperr-events'

/**
 * Bodies and URLs a buggy or hostile client sends, over every ingest route of every vendor: each
 * is a 4xx JSON answer naming the problem, shows in the Rejected view, stores nothing, and the
 * collector goes on taking events.
 */

/** Every ingest route of every vendor, with its path parameters filled in. */
const ROUTES = connectors.flatMap((connector) =>
  connector.routes.map((route) => `/${connector.vendor}${route.path.replace(':projectId', 'proj_1')}`)
)

interface Answer {
  status: number
  body: { error?: string; message?: string; errors?: Array<{ field: string; reason: string }> }
  headers: Headers
}

let outpost: TestCollector

beforeAll(async () => {
  // No vendor keys: whatever is stored stays queued, so the counts show exactly what was stored.
  outpost = await startTestCollector({
    destinations: connectors.map((connector) => ({
      id: connector.vendor,
      vendor: connector.vendor,
      baseUrl: 'http://127.0.0.1:9'
    }))
  })
})
afterAll(() => outpost.close())

beforeEach(() => outpost.api.clearRejections({}))

async function send(path: string, body: string | Uint8Array, headers: Record<string, string> = {}) {
  const response = await fetch(outpost.url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body
  })
  const text = await response.text()
  return { status: response.status, body: text ? JSON.parse(text) : {}, headers: response.headers } as Answer
}

const storedCount = async () =>
  Object.values((await outpost.api.getStats({})).counts as StatusCounts).reduce((sum, n) => sum + n, 0)

/** Sends each body to each route; every answer must be a 400 with this error, nothing stored. */
async function expectRefusedEverywhere(bodies: Array<string | Uint8Array>, error: string) {
  const before = await storedCount()
  for (const path of ROUTES) {
    for (const body of bodies) {
      const answer = await send(path, body)
      expect(answer.status, `${path}`).toBe(400)
      expect(answer.body.error, `${path}: ${answer.body.message}`).toBe(error)
      expect(answer.body.message).toEqual(expect.any(String))
    }
  }
  expect(await storedCount()).toBe(before)
  const rejections = await outpost.api.listRejections({})
  expect(rejections).toHaveLength(ROUTES.length * bodies.length)
  expect(rejections.every((rejection) => rejection.status === 400 && rejection.error === error)).toBe(true)
  return rejections
}

const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth)
const nestedObject = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)

describe('bodies nested deep', () => {
  it('are a 400 too_deep on every route at 10,000, 100,000 and 1,000,000 levels, shown as sent in the Rejected view', async () => {
    // JSON.parse does not recurse: a million levels (2 MB, under the body limit) is no stack overflow.
    const bodies = [
      nested(10_000),
      nested(100_000),
      nested(1_000_000),
      nestedObject(10_000),
      nestedObject(100_000)
    ]
    const rejections = await expectRefusedEverywhere(bodies, 'too_deep')
    expect(rejections[0]!.body).toMatch(/^\{"a":\{"a":/)
    expect(rejections[0]!.message).toMatch(/deeper than 32 levels/)
  })

  it('are a 400 when they name constructor or __proto__ at every level', async () => {
    const poisonedDepth = '{"constructor":'.repeat(50_000) + '1' + '}'.repeat(50_000)
    await expectRefusedEverywhere([poisonedDepth], 'too_deep')
  })
})

describe('bodies that are not an object', () => {
  it.each(['null', '[]', '[{}]', '1', '-0.5e3', '"string"', 'true'])(
    '%s is a 400 naming the body on every route',
    async (body) => {
      const before = await storedCount()
      for (const path of ROUTES) {
        const answer = await send(path, body)
        expect(answer.status, path).toBe(400)
        expect(answer.body.errors, path).toEqual([
          { field: '', reason: expect.stringMatching(/^must be an object \(\{\.\.\.\}\), got /) }
        ])
      }
      expect(await storedCount()).toBe(before)
      expect(await outpost.api.listRejections({})).toHaveLength(ROUTES.length)
    }
  )
})

describe('bodies that are not UTF-8', () => {
  const utf8 = (text: string) => new TextEncoder().encode(text)
  const withByte = (before: string, byte: number, after: string) =>
    Uint8Array.from([...utf8(before), byte, ...utf8(after)])

  it('are a 400 invalid_encoding naming the byte on every route, never stored with replacement characters', async () => {
    const rejections = await expectRefusedEverywhere(
      [withByte('{"name":"', 0xff, '"}'), withByte('{"', 0xc3, '":1}')],
      'invalid_encoding'
    )
    const [truncatedSequence, badByte] = rejections
    expect(badByte!.message).toBe('The body is not valid UTF-8 at byte 9 (JSON text must be UTF-8)')
    expect(truncatedSequence!.message).toMatch(/ at byte 2 /)
    // The Rejected view still shows what came, the bad byte as U+FFFD.
    expect(badByte!.body).toBe('{"name":"\uFFFD"}')
  })

  it('refuses a valid event carrying one bad byte in a property, and a surrogate encoded as UTF-8', async () => {
    const before = await storedCount()
    const event = JSON.stringify(whisperrEvent({ properties: { city: 'MARKER' } }))
    const [head, tail] = event.split('MARKER') as [string, string]
    expect((await send('/whisperr/v1/events/track', withByte(head, 0xe9, tail))).body).toMatchObject({
      error: 'invalid_encoding',
      message: expect.stringContaining(`byte ${utf8(head).length} `)
    })
    // CESU-8 / WTF-8: a lone surrogate written as three bytes is not UTF-8 either.
    const surrogate = Uint8Array.from([...utf8(head), 0xed, 0xa0, 0x80, ...utf8(tail)])
    expect((await send('/whisperr/v1/events/track', surrogate)).status).toBe(400)
    expect(await storedCount()).toBe(before)
  })

  it('refuses a compressed body with 415 naming Content-Encoding, instead of reading its bytes as text', async () => {
    const before = await storedCount()
    const gzipped = gzipSync(JSON.stringify(whisperrEvent()))
    for (const encoding of ['gzip', 'br', 'deflate']) {
      const answer = await send('/whisperr/v1/events/track', gzipped, { 'content-encoding': encoding })
      expect(answer).toMatchObject({
        status: 415,
        body: { error: 'unsupported_encoding', message: expect.stringMatching(/Content-Encoding/) }
      })
    }
    const identity = JSON.stringify(whisperrEvent())
    expect(
      (await send('/whisperr/v1/events/track', identity, { 'content-encoding': 'identity' })).status
    ).toBe(202)
    expect(await storedCount()).toBe(before + 1)
    expect((await outpost.api.listRejections({}))[0]).toMatchObject({
      status: 415,
      error: 'unsupported_encoding'
    })
  })

  it('accepts multi-byte characters and a literal U+FFFD, as sent', async () => {
    const event = whisperrEvent({ properties: { city: 'Zürich \uFFFD 東京 🚀' } })
    expect((await send('/whisperr/v1/events/track', JSON.stringify(event))).status).toBe(202)
  })
})

describe('client text in answers and headers', () => {
  const ts = Date.now()
  const userFluxEvent = (extra: string) =>
    `{${extra}"name":"e","timestamp":${ts},"userId":"u","properties":{}}`

  it('accepts a UserFlux field named with a lone surrogate and names it in a well-formed header', async () => {
    const before = await storedCount()
    const event = userFluxEvent('"\\ud800x":1,"y\\udc00":2,')
    for (const [path, body] of [
      ['/userflux/event/ingest', event],
      ['/userflux/event/ingest/batch', `{"events":[${event}]}`],
      ['/userflux/profile', '{"\\udbff":1,"userId":"u","properties":{}}']
    ] as const) {
      const answer = await send(path, body)
      expect(answer.status, `${path}: ${answer.body.message}`).toBe(204)
      expect(answer.headers.get('x-outpost-unknown-fields')).toMatch(/^(%EF%BF%BDx, y%EF%BF%BD|%EF%BF%BD)$/)
    }
    expect(await storedCount()).toBe(before + 3)
    const [stored] = (await outpost.api.listEvents({ destination: 'userflux' })).events
    // The event itself is kept as the client wrote it.
    expect((await outpost.api.getEvent({ id: stored!.id }))?.payload).toContain('\\udbff')
  })

  it('lists the first 100 problems of 100,000, and cuts a 1 MB field name', async () => {
    const manyFields = JSON.stringify(
      whisperrEvent(Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`f${i}`, i])))
    )
    const many = await send('/whisperr/v1/events/track', manyFields)
    expect(many.status).toBe(400)
    expect(many.body.errors).toHaveLength(100)
    expect(many.body.message).toMatch(/; and 99995 more$/)

    const longName = 'x'.repeat(1_000_000)
    const long = await send('/whisperr/v1/events/track', JSON.stringify(whisperrEvent({ [longName]: 1 })))
    expect(long.status).toBe(400)
    expect(long.body.errors).toEqual([
      { field: `${'x'.repeat(200)}…`, reason: expect.stringMatching(/not a field/) }
    ])
    expect(long.body.message!.length).toBeLessThan(500)

    const [longRejection, manyRejection] = await outpost.api.listRejections({})
    expect(manyRejection!.fields).toHaveLength(100)
    expect(longRejection!.fields[0]!.field).toHaveLength(201)
  })

  it('names a repeated UserFlux query parameter and an unknown one', async () => {
    const answer = await send(
      '/userflux/event/ingest?locationEnrichment=true&locationEnrichment=false&x=1&x=2',
      userFluxEvent('')
    )
    expect(answer.status).toBe(400)
    expect(answer.body.errors).toEqual([
      { field: 'query.x', reason: expect.stringMatching(/not a query parameter/) },
      { field: 'query.locationEnrichment', reason: 'must be true or false, got ["true","false"]' }
    ])
  })
})

describe('URLs the router refuses', () => {
  it('answers a path that is not valid percent-encoding, or a path parameter too long, in Outpost words, and logs them', async () => {
    const badEscape = await send('/embeddables/projects/%ff/events', '{}')
    expect(badEscape).toMatchObject({
      status: 400,
      body: { error: 'invalid_url', message: expect.stringMatching(/percent-encoded UTF-8/) }
    })
    const surrogate = await send('/embeddables/projects/%ED%A0%80/events', '{}')
    expect(surrogate.body.error).toBe('invalid_url')
    const longParameter = await send(`/embeddables/projects/${'p'.repeat(101)}/events`, '{}')
    expect(longParameter).toMatchObject({
      status: 400,
      body: { error: 'invalid_url', message: expect.stringMatching(/longer than 100 characters/) }
    })
    const rejections = await outpost.api.listRejections({})
    expect(rejections.map((rejection) => [rejection.destination, rejection.status, rejection.error])).toEqual(
      [
        ['embeddables', 400, 'invalid_url'],
        ['embeddables', 400, 'invalid_url'],
        ['embeddables', 400, 'invalid_url']
      ]
    )
  })
})

describe('edits through the admin API', () => {
  const admin = (path: string, body: unknown) =>
    send(path, JSON.stringify(body), { authorization: 'Bearer test-token' })

  it('refuses a payload nested 10,000 and 100,000 levels deep with a 400 naming it, and keeps the event', async () => {
    const accepted = await send('/whisperr/v1/events/track', JSON.stringify(whisperrEvent()))
    expect(accepted.status).toBe(202)
    const [event] = (await outpost.api.listEvents({ destination: 'whisperr' })).events
    const before = (await outpost.api.getEvent({ id: event!.id }))!.payload
    for (const payload of [nested(10_000), nested(100_000), nestedObject(100_000)]) {
      const answer = await admin(`/api/events/${event!.id}/payload`, { payload })
      expect(answer.status).toBe(400)
      expect(answer.body.message).toMatch(/nests deeper than 32 levels/)
    }
    expect((await outpost.api.getEvent({ id: event!.id }))!.payload).toBe(before)
  })

  it('saves an edit of a UserFlux event that adds a field named with a lone surrogate', async () => {
    expect(
      (
        await send(
          '/userflux/event/ingest',
          JSON.stringify({ name: 'e', timestamp: Date.now(), userId: 'u', properties: {} })
        )
      ).status
    ).toBe(204)
    const [event] = (await outpost.api.listEvents({ destination: 'userflux' })).events
    const payload = `{"\\ud800":1,"name":"e","timestamp":${Date.now()},"userId":"u","properties":{}}`
    const answer = await admin(`/api/events/${event!.id}/payload`, { payload })
    expect(answer.status, answer.body.message).toBe(200)
    expect((await outpost.api.getEvent({ id: event!.id }))!.payload).toBe(payload)
  })
})

describe('after all of that', () => {
  it('the collector still takes events', async () => {
    const before = await storedCount()
    expect((await send('/whisperr/v1/events/track', JSON.stringify(whisperrEvent()))).status).toBe(202)
    expect(await storedCount()).toBe(before + 1)
  })
})
