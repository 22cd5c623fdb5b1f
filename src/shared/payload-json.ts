import { parse as losslessParse, stringify as losslessStringify } from 'lossless-json'
import type { EventDetail } from './model'

/**
 * Pretty-prints JSON text without changing a value: lossless-json keeps every number as written
 * (integers beyond 2^53, `1.0`), where JSON.parse would round or rewrite them.
 */
export function prettyJson(text: string): string {
  return losslessStringify(losslessParse(text), null, 2) ?? ''
}

/** An event with its payloads as pretty JSON (embedded as JSON, not strings), every number as the client wrote it. */
export function eventJson(detail: EventDetail): string {
  const withPayloadValues = {
    ...detail,
    receivedPayload: losslessParse(detail.receivedPayload),
    payload: losslessParse(detail.payload)
  }
  return losslessStringify(withPayloadValues, null, 2) ?? ''
}
