import { parse as losslessParse, stringify as losslessStringify } from 'lossless-json'
import type { EventDetail, EventExport, ExportedEvent } from '@shared/model'

const pad = (value: number, width = 2): string => String(value).padStart(width, '0')

function parse(iso: string | null): Date | null {
  if (iso === null) return null
  const date = new Date(iso)
  return Number.isNaN(date.getTime()) ? null : date
}

/** Local wall-clock time with milliseconds: events arrive faster than one a second. */
export function formatClock(iso: string | null): string {
  const date = parse(iso)
  if (!date) return '—'
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`
}

export function formatDateTime(iso: string | null): string {
  const date = parse(iso)
  if (!date) return '—'
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${formatClock(iso)}`
}

export function truncate(text: string, length: number): string {
  return text.length <= length ? text : `${text.slice(0, length - 1)}…`
}

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
