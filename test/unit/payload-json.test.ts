import { describe, expect, it } from 'vitest'
import { eventJson, exportJson, prettyJson } from '../../src/shared/payload-json'
import type { EventDetail } from '../../src/shared/model'

const EXACT = '{"order_id":12345678901234567890,"ratio":1.0,"e":1e3,"z":-0}'

describe('the UI shows payloads as the client wrote them', () => {
  it('pretty-prints without rounding or rewriting a number', () => {
    expect(prettyJson(EXACT)).toBe(
      '{\n  "order_id": 12345678901234567890,\n  "ratio": 1.0,\n  "e": 1e3,\n  "z": -0\n}'
    )
  })

  it('embeds payload texts as JSON in a copied event and an export, digit for digit', () => {
    const detail = { id: 1, payload: EXACT, receivedPayload: '{"n":9007199254740993}' } as EventDetail
    const copied = eventJson(detail)
    expect(copied).toContain('"order_id": 12345678901234567890')
    expect(copied).toContain('"n": 9007199254740993')
    const file = exportJson({ exportedAt: 'now', query: {}, truncated: false, events: [detail] })
    expect(file).toContain('"ratio": 1.0')
    expect(file).toContain('"z": -0')
  })
})
