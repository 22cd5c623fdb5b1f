import fc from 'fast-check'
import { parse as losslessParse, stringify as losslessStringify } from 'lossless-json'
import { describe, expect, it } from 'vitest'
import {
  eventJson,
  jsonLines,
  jsonPath,
  lineText,
  parseJsonTree,
  prettyJson,
  type JsonContainer,
  type JsonNode
} from '../../src/shared/payload-json'
import type { EventDetail } from '../../src/shared/model'

const EXACT = '{"order_id":12345678901234567890,"ratio":1.0,"e":1e3,"z":-0}'

/** Every node of a tree, in document order. */
const nodesOf = (node: JsonNode): JsonNode[] =>
  node.kind === 'scalar' ? [node] : [node, ...node.children.flatMap(nodesOf)]

describe('the UI shows payloads as the client wrote them', () => {
  it('pretty-prints without rounding or rewriting a number', () => {
    expect(prettyJson(EXACT)).toBe(
      '{\n  "order_id": 12345678901234567890,\n  "ratio": 1.0,\n  "e": 1e3,\n  "z": -0\n}'
    )
  })

  it('keeps every key where it was written, and a repeated key as often as written', () => {
    // JSON.parse (and lossless-json) put "2" first and keep one "x".
    expect(prettyJson('{"b":1,"2":2,"x":1,"x":[]}')).toBe('{\n  "b": 1,\n  "2": 2,\n  "x": 1,\n  "x": []\n}')
  })

  it('pretty-prints as lossless-json did, for any JSON', () => {
    fc.assert(
      fc.property(fc.json(), (text) => {
        expect(prettyJson(text)).toBe(losslessStringify(losslessParse(text), null, 2))
      }),
      { numRuns: 300 }
    )
  })

  it('refuses what is not strict JSON', () => {
    for (const text of ['', '{"a":1,}', '// x\n{}', '{"a":1} x', "{'a':1}"]) {
      expect(() => prettyJson(text), text).toThrow(SyntaxError)
    }
  })

  it('embeds payload texts as JSON in a copied event, digit for digit', () => {
    const detail = { id: 1, payload: EXACT, receivedPayload: '{"n":9007199254740993}' } as EventDetail
    const copied = eventJson(detail)
    expect(copied).toContain('"order_id": 12345678901234567890')
    expect(copied).toContain('"n": 9007199254740993')
    expect(copied).toContain('"ratio": 1.0')
    expect(copied).toContain('"z": -0')
  })

  it('copies an event whose payload repeats a key (JSON.parse keeps one, lossless-json threw)', () => {
    const payload = '{"b":1,"2":2,"x":1,"x":{"y":[1.0]}}'
    const detail = {
      id: 7,
      name: 'n',
      receivedPayload: payload,
      payload,
      history: []
    } as unknown as EventDetail
    expect(eventJson(detail)).toBe(
      [
        '{',
        '  "id": 7,',
        '  "name": "n",',
        `  "receivedPayload": ${prettyJson(payload).replace(/\n/g, '\n  ')},`,
        `  "payload": ${prettyJson(payload).replace(/\n/g, '\n  ')},`,
        '  "history": []',
        '}'
      ].join('\n')
    )
    expect(JSON.parse(eventJson(detail)).payload).toEqual({ b: 1, 2: 2, x: { y: [1] } })
  })
})

describe('the payload tree', () => {
  const text = '{"properties":{"items":[{"sku":"A-1"},{"sku":"B-2","price":1.50}],"first name":"Zoë"},"n":[]}'
  const tree = parseJsonTree(text)

  it('gives each value its exact text and its path', () => {
    expect(nodesOf(tree).map((node) => [node.id, jsonPath(node.path), node.text])).toEqual([
      [0, '', text],
      [1, 'properties', text.slice(14, text.indexOf(',"n"'))],
      [2, 'properties.items', '[{"sku":"A-1"},{"sku":"B-2","price":1.50}]'],
      [3, 'properties.items[0]', '{"sku":"A-1"}'],
      [4, 'properties.items[0].sku', '"A-1"'],
      [5, 'properties.items[1]', '{"sku":"B-2","price":1.50}'],
      [6, 'properties.items[1].sku', '"B-2"'],
      [7, 'properties.items[1].price', '1.50'],
      [8, 'properties["first name"]', '"Zoë"'],
      [9, 'n', '[]']
    ])
  })

  it('quotes a path segment that is not a plain name', () => {
    expect(jsonPath(['context', '$message_id'])).toBe('context.$message_id')
    expect(jsonPath(['a-b', 0, 'c.d', '"q"', '_ok1'])).toBe('["a-b"][0]["c.d"]["\\"q\\""]._ok1')
    expect(jsonPath([3, 'x'])).toBe('[3].x')
  })

  it('folds an object or array into one line; unfolded, its lines are the pretty print', () => {
    const items = nodesOf(tree).find((node) => jsonPath(node.path) === 'properties.items') as JsonContainer
    const folded = jsonLines(tree, (node) => node !== items).map(lineText)
    expect(folded).toEqual([
      '{',
      '  "properties": {',
      '    "items": […],',
      '    "first name": "Zoë"',
      '  },',
      '  "n": []',
      '}'
    ])
    expect(jsonLines(tree, () => false).map(lineText)).toEqual(['{…}'])
    expect(
      jsonLines(tree, () => true)
        .map(lineText)
        .join('\n')
    ).toBe(prettyJson(text))
  })
})
