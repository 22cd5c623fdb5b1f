import { isDeepStrictEqual } from 'node:util'
import fc from 'fast-check'
import { parse as losslessParse } from 'lossless-json'
import { describe, expect, it } from 'vitest'
import { useWhisperrAndUserFlux } from '../support/whisperr-and-userflux'

/**
 * Random JSON, written the many ways clients write it (integers beyond 2^53, `1.0`, `1e3`, `-0`,
 * escapes, any Unicode, whitespace, nesting), goes in through ingest and out to the vendor with
 * every value equal, digit for digit: each event is forwarded as the client's own text.
 */

const RUNS = 150
const WHISPERR_KEY = 'wh_fidelity'
const USERFLUX_KEY = 'uf_fidelity'

const space = fc.constantFrom('', '', ' ', '\n  ', '\t')

const numberText = fc.oneof(
  fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)),
  fc
    .tuple(fc.integer(), fc.nat(999))
    .map(([whole, fraction]) => `${whole}.${String(fraction).padStart(3, '0')}`),
  fc
    .tuple(fc.integer({ min: -99, max: 99 }), fc.constantFrom('e', 'E', 'e+', 'e-'), fc.nat(30))
    .map(([mantissa, marker, exponent]) => `${mantissa}${marker}${exponent}`),
  fc.constantFrom('-0', '1.0', '0.0', '-0.0e-0', '12345678901234567890', '9007199254740993')
)

/** Strings as JSON.stringify writes them, escaped by hand, or holding a lone surrogate. */
const stringText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }).map((s) => JSON.stringify(s)),
  fc
    .string({ unit: 'grapheme', maxLength: 6 })
    .map((s) => `"${[...s].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')}"`),
  fc.constantFrom('"\\ud800"', '"a\\/b"', '"tab\\there"', '"\\"quoted\\""')
)

const key = fc
  .string({ unit: 'binary', maxLength: 8 })
  .filter((name) => name !== '__proto__' && name !== 'constructor' && name !== 'prototype')

const { object: objectText } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 5 },
    numberText,
    stringText,
    fc.constantFrom('true', 'false', 'null'),
    // Deep, but inside the collector's 32 levels with the event around it.
    fc.integer({ min: 1, max: 20 }).map((depth) => `${'['.repeat(depth)}-0.0${']'.repeat(depth)}`),
    tie('array'),
    tie('object')
  ),
  array: fc
    .tuple(fc.array(tie('value') as fc.Arbitrary<string>, { maxLength: 4 }), space)
    .map(([items, gap]) => `[${gap}${items.join(`,${gap}`)}${gap}]`),
  object: fc
    .tuple(
      fc.uniqueArray(fc.tuple(key, tie('value') as fc.Arbitrary<string>), {
        maxLength: 5,
        selector: ([name]) => name
      }),
      space
    )
    .map(
      ([entries, gap]) =>
        `{${gap}${entries.map(([name, value]) => `${JSON.stringify(name)}${gap}:${gap}${value}`).join(`,${gap}`)}${gap}}`
    )
}))

/** Equal JSON values, numbers compared as written: `1.0` is not `1`, `-0` is not `0`. */
function sameValue(value: unknown, text: string): boolean {
  return isDeepStrictEqual(value, losslessParse(text))
}

let counter = 0

describe('JSON fidelity, ingest to upstream', () => {
  const vendors = useWhisperrAndUserFlux({ whisperr: WHISPERR_KEY, userflux: USERFLUX_KEY }, 'all tests')

  it('Whisperr batches: every event reaches the vendor as the client wrote it', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(objectText, { minLength: 1, maxLength: 3 }),
        space,
        async (properties, gap) => {
          const texts = properties.map((props) => {
            const id = `fidelity-${++counter}`
            return `{${gap}"external_user_id":"u1",${gap}"event_type":"fuzzed",${gap}"occurred_at":"${new Date().toISOString()}",${gap}"properties":${props},${gap}"context":{"$message_id":"${id}"}${gap}}`
          })
          const body = `{${gap}"events":${gap}[${gap}${texts.join(`,${gap}`)}${gap}]${gap}}`
          const answer = await vendors.outpost.post('/whisperr/v1/events/batch', body)
          expect(answer.status).toBe(202)
          const markers = texts.map((_, index) => `fidelity-${counter - texts.length + index + 1}`)
          await vendors.whisperr.waitFor(
            (requests) =>
              markers.every((marker) => requests.some((request) => request.body.includes(marker))),
            5_000
          )
          for (const [index, text] of texts.entries()) {
            // The client's own text, byte for byte, inside the upstream body...
            const request = vendors.whisperr.requests.find((r) => r.body.includes(markers[index]!))!
            expect(request.body).toContain(text)
            // ...and in the payload as received.
            const { events } = await vendors.outpost.api.listEvents({ search: markers[index] })
            const detail = await vendors.outpost.api.getEvent({ id: events[0]!.id })
            expect(detail?.receivedPayload).toBe(text)
            expect(detail?.payload).toBe(text)
          }
        }
      ),
      { numRuns: RUNS }
    )
  })

  it('UserFlux events: properties of any shape reach the vendor with equal values', async () => {
    await fc.assert(
      fc.asyncProperty(objectText, space, async (properties, gap) => {
        const marker = `fidelity-${++counter}`
        const text = `{${gap}"userId":"${marker}",${gap}"name":"fuzzed",${gap}"timestamp":${Date.now()},${gap}"properties":${properties}${gap}}`
        const answer = await vendors.outpost.post('/userflux/event/ingest', text)
        expect(answer.status).toBe(204)
        await vendors.userflux.waitFor(
          (requests) => requests.some((request) => request.body.includes(marker)),
          5_000
        )
        const request = vendors.userflux.requests.find((r) => r.body.includes(marker))!
        expect(request.body).toContain(text)
        const { events } = losslessParse(request.body) as { events: { userId: string }[] }
        expect(
          sameValue(
            events.find((event) => event.userId === marker),
            text
          )
        ).toBe(true)
      }),
      { numRuns: RUNS }
    )
  })
})
