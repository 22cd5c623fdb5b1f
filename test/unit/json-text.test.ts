import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { elementTexts, fieldText } from '../../src/main/connectors/json-text'

/**
 * Each event of a batch is stored as its own span of the body. The spans are found by a scan that
 * only looks for where values end, so it is checked against texts whose every span is known: the
 * generator writes each element itself and the test expects exactly those characters back.
 */

const space = fc.constantFrom('', ' ', '\n  ', '\t', '\r\n')

const numberText = fc.oneof(
  fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)),
  fc.constantFrom('-0', '1.0', '-0.0e-0', '1E+3', '9007199254740993')
)

/** Strings that end in backslashes, escape quotes, or hold brackets a scan must not count. */
const stringText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }).map((s) => JSON.stringify(s)),
  fc.constantFrom('"\\\\"', '"\\\\\\""', '"a\\"]}b"', '"[{"', '"\\u005d\\u007d"', '"\\ud800"', '"events"')
)

const { value: valueText } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 4 },
    numberText,
    stringText,
    fc.constantFrom('true', 'false', 'null'),
    tie('array'),
    tie('object')
  ),
  array: fc
    .tuple(fc.array(tie('value') as fc.Arbitrary<string>, { maxLength: 4 }), space)
    .map(([items, gap]) => `[${gap}${items.join(`${gap},${gap}`)}${gap}]`),
  object: fc
    .tuple(fc.array(fc.tuple(stringText, tie('value') as fc.Arbitrary<string>), { maxLength: 4 }), space)
    .map(
      ([entries, gap]) =>
        `{${gap}${entries.map(([key, value]) => `${key}${gap}:${gap}${value}`).join(`${gap},${gap}`)}${gap}}`
    )
}))

/** Other top-level members, whose names are never `events`. */
const otherMember = fc
  .tuple(
    fc.string({ maxLength: 6 }).filter((name) => name !== 'events'),
    valueText
  )
  .map(([name, value]) => `${JSON.stringify(name)}:${value}`)

describe('the span of each batch element', () => {
  it('is exactly the text the client wrote for it, whatever the values and spacing', () => {
    fc.assert(
      fc.property(
        fc.array(valueText, { maxLength: 6 }),
        fc.array(otherMember, { maxLength: 2 }),
        fc.array(otherMember, { maxLength: 2 }),
        space,
        (elements, before, after, gap) => {
          const events = `"events"${gap}:${gap}[${gap}${elements.join(`${gap},${gap}`)}${gap}]`
          const text = `${gap}{${gap}${[...before, events, ...after].join(`${gap},${gap}`)}${gap}}${gap}`
          expect(JSON.parse(text)).toBeDefined()
          expect(elementTexts(text, 'events')).toEqual(elements)
        }
      ),
      { numRuns: 1_000 }
    )
  })

  it('is read from the member JSON.parse reads: the last of two with the same name, escapes decoded', () => {
    const text = '{"events":[{"n":1}],"other":[9],"\\u0065vents":[ 2.50 ,{"n":"]"}]}'
    expect((JSON.parse(text) as { events: unknown[] }).events).toHaveLength(2)
    expect(elementTexts(text, 'events')).toEqual(['2.50', '{"n":"]"}'])
  })

  it('is none when the body has no array under that name', () => {
    expect(elementTexts('[{"events":[1]}]', 'events')).toEqual([])
    expect(elementTexts('{"events":{"0":1}}', 'events')).toEqual([])
    expect(elementTexts('{"other":[1]}', 'events')).toEqual([])
    expect(elementTexts('{"events":[]}', 'events')).toEqual([])
  })
})

describe('the text of a top-level field', () => {
  it('is the value as written, after any members before it', () => {
    fc.assert(
      fc.property(fc.array(otherMember, { maxLength: 3 }), numberText, space, (before, number, gap) => {
        const text = `{${gap}${[...before, `"timestamp"${gap}:${gap}${number}`].join(`,${gap}`)}${gap}}`
        expect(fieldText(text, 'timestamp')).toBe(number)
      })
    )
  })

  it('is undefined when the object has no such field', () => {
    expect(fieldText('{"time":1}', 'timestamp')).toBeUndefined()
    expect(fieldText('{"nested":{"timestamp":1}}', 'timestamp')).toBeUndefined()
  })
})
