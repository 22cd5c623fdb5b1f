import { describe, expect, it } from 'vitest'
import { eventJson, prettyJson } from '../../src/shared/payload-json'
import type { EventDetail } from '../../src/shared/model'

const EXACT = '{"order_id":12345678901234567890,"ratio":1.0,"e":1e3,"z":-0}'

describe('the UI shows payloads as the client wrote them', () => {
  it('pretty-prints without rounding or rewriting a number', () => {
    expect(prettyJson(EXACT)).toBe(
      '{\n  "order_id": 12345678901234567890,\n  "ratio": 1.0,\n  "e": 1e3,\n  "z": -0\n}'
    )
  })

  it('embeds payload texts as JSON in a copied event, digit for digit', () => {
    const detail = { id: 1, payload: EXACT, receivedPayload: '{"n":9007199254740993}' } as EventDetail
    const copied = eventJson(detail)
    expect(copied).toContain('"order_id": 12345678901234567890')
    expect(copied).toContain('"n": 9007199254740993')
    expect(copied).toContain('"ratio": 1.0')
    expect(copied).toContain('"z": -0')
  })
})
