/**
 * What the SDK tests compare: the calls a vendor received, one per event or identify/profile body,
 * in the order it accepted them, whatever requests carried them (an SDK's batch and Outpost's
 * batch group events differently, and that is allowed; losing, adding or reordering one is not).
 *
 * Bodies are parsed with lossless-json, which keeps each number's text: `1.0` and `1`, or
 * `12345678901234567890` and `12345678901234567000`, are different values here, as they are to a
 * vendor that stores decimals or 64-bit integers.
 */
import { parse } from 'lossless-json'
import { expect } from 'vitest'
import type { RecordedRequest } from '../mocks/mock-upstream'
import type { TestCollector } from '../support/collector'
import { eventually } from '../support/temp'

/** One call as the vendor saw it: `identify`, `track`, `event` or `profile`, its query, one body. */
export interface VendorCall {
  kind: string
  /** The request's query string (`?locationEnrichment=false`), '' when none. */
  query: string
  body: unknown
}

type JsonObject = Record<string, unknown>

/** A request as a vendor mock recorded it, or as a test saw an SDK send it. */
export type SentRequest = Pick<RecordedRequest, 'path' | 'body'>

function splitPath(request: SentRequest): { pathname: string; query: string } {
  const url = new URL(request.path, 'http://vendor.invalid')
  return { pathname: url.pathname, query: url.search }
}

/** Whisperr: each event of a batch is a `track` call; an identify is one call. */
export function whisperrCalls(requests: readonly SentRequest[]): VendorCall[] {
  return requests.flatMap((request) => {
    const { pathname, query } = splitPath(request)
    const body = parse(request.body) as JsonObject
    if (pathname === '/v1/identify') return [{ kind: 'identify', query, body }]
    const events = pathname === '/v1/events/batch' ? (body.events as unknown[]) : [body]
    return events.map((event) => ({ kind: 'track', query, body: event }))
  })
}

/** UserFlux: an event sent alone or in a batch is an `event` call; `/profile` is a `profile` call. */
export function userFluxCalls(requests: readonly SentRequest[]): VendorCall[] {
  return requests.flatMap((request) => {
    const { pathname, query } = splitPath(request)
    const body = parse(request.body) as JsonObject
    if (pathname === '/profile') return [{ kind: 'profile', query, body }]
    const events = pathname === '/event/ingest/batch' ? (body.events as unknown[]) : [body]
    return events.map((event) => ({ kind: 'event', query, body: event }))
  })
}

/** A copy of `calls` with the value at `path` (e.g. ['context', '$message_id']) rewritten where present. */
function rewriteAt(calls: VendorCall[], path: string[], rewrite: (value: unknown) => unknown): VendorCall[] {
  const copy = structuredClone(calls)
  const key = path[path.length - 1]!
  for (const call of copy) {
    const parent = path.slice(0, -1).reduce<unknown>((node, step) => (node as JsonObject)?.[step], call.body)
    if (parent !== null && typeof parent === 'object' && key in parent) {
      ;(parent as JsonObject)[key] = rewrite((parent as JsonObject)[key])
    }
  }
  return copy
}

/**
 * Replaces the ids an SDK makes up per run (message ids, anonymous and session ids) with their
 * order of first appearance, so two runs of the same calls compare equal while an id repeated or
 * dropped within one run still shows.
 */
export function pseudonymize(calls: VendorCall[], paths: string[][]): VendorCall[] {
  return paths.reduce((current, path) => {
    const ordinals = new Map<unknown, string>()
    return rewriteAt(current, path, (value) => {
      if (!ordinals.has(value)) ordinals.set(value, `<${path.join('.')} #${ordinals.size + 1}>`)
      return ordinals.get(value)
    })
  }, calls)
}

/** Replaces the clock time an SDK stamps at `path` with `<time>`, once checked to be an ISO time. */
export function maskTimes(calls: VendorCall[], path: string[]): VendorCall[] {
  return rewriteAt(calls, path, (value) => {
    expect(value).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)
    return '<time>'
  })
}

/**
 * Resolves once Outpost holds nothing waiting to be sent, with none failed: every event it
 * acknowledged has been answered by the upstream.
 */
export async function outboxDrained(outpost: TestCollector): Promise<void> {
  await eventually(
    async () => {
      const { counts } = await outpost.api.getStats({})
      expect({ waiting: counts.queued + counts.sending + counts.retrying, failed: counts.failed }).toEqual({
        waiting: 0,
        failed: 0
      })
    },
    10_000,
    'Outpost delivered everything it acknowledged'
  )
}
