import { parse as losslessParse, stringify as losslessStringify } from 'lossless-json'
import type { EventDetail, EventExport, ExportedEvent } from './model'

/**
 * Pretty-prints JSON text without changing a value: lossless-json keeps every number as written
 * (integers beyond 2^53, `1.0`), where JSON.parse would round or rewrite them.
 */
export function prettyJson(text: string): string {
  return losslessStringify(losslessParse(text), null, 2) ?? ''
}

/** Payload texts embedded in an event as the JSON they are, not as strings. */
function withPayloadValues(event: ExportedEvent): object {
  return {
    ...event,
    receivedPayload: losslessParse(event.receivedPayload),
    payload: losslessParse(event.payload)
  }
}

/** An event with its payloads as pretty JSON, every number as the client wrote it. */
export function eventJson(detail: EventDetail): string {
  return losslessStringify(withPayloadValues(detail), null, 2) ?? ''
}

/** An export file as pretty JSON, every number as the client wrote it. */
export function exportJson(file: EventExport): string {
  return losslessStringify({ ...file, events: file.events.map(withPayloadValues) }, null, 2) ?? ''
}
