import type { IncomingHttpHeaders } from 'node:http'
import { crc32 } from 'node:zlib'
import { RESPONSE_HEADERS_KEPT } from '@shared/model'
import type { Connector, UpstreamAnswer } from '../connectors/types'
import type { ExchangeRecord, HeaderPairs, RebuildableBody } from '../store'
import { UPSTREAM_METHOD } from './transport'

/**
 * What an attempt sent and received, made fit for the database: a vendor key never reaches it.
 *
 * Masking rule:
 * - A header that carries credentials (Authorization, Proxy-Authorization, X-API-Key, Cookie,
 *   Set-Cookie, and the connector's own key headers) keeps its scheme word ("Bearer") and shows
 *   the secret as *Copy as curl* shows a key: `****` and its last 4 characters (`****a1b2`), or
 *   `****` alone when it is under 16 characters (4 of them would give away too much of it).
 * - The destination's key is also masked wherever else it appears: any header either way, the
 *   URL, the request body and the response body (a vendor that echoes it). A key under 8
 *   characters is not searched for in free text, where it would mask ordinary words; the named
 *   headers, where such a key is sent, are masked whatever its length.
 */

/** Lowercased names of headers that carry credentials whatever the vendor. */
export const CREDENTIAL_HEADERS = [
  'authorization',
  'proxy-authorization',
  'x-api-key',
  'cookie',
  'set-cookie'
]
const SHORTEST_SECRET_WITH_TAIL = 16
const SHORTEST_KEY_SEARCHED = 8

/**
 * Stars and the last 4 characters of a secret, enough to tell two keys apart (`****a1b2`), or
 * stars alone when it is short: the one mask of a key wherever Outpost shows one.
 */
export function maskSecret(secret: string): string {
  return secret.length < SHORTEST_SECRET_WITH_TAIL ? '****' : `****${secret.slice(-4)}`
}

/** A credential header's value masked: `Bearer ****a1b2`, or the whole value. */
function maskCredential(value: string): string {
  const scheme = /^([A-Za-z][\w-]*) (\S.*)$/.exec(value)
  return scheme ? `${scheme[1]} ${maskSecret(scheme[2] as string)}` : maskSecret(value)
}

/** The headers a connector sends a key in, lowercased: its client auth headers and its key headers. */
export function credentialHeaders(connector: Connector): Set<string> {
  return new Set([
    ...CREDENTIAL_HEADERS,
    ...connector.clientHeaders.map((name) => name.toLowerCase()),
    ...Object.keys(connector.keyHeaders('key')).map((name) => name.toLowerCase())
  ])
}

/** Masks one destination's secrets in headers, URLs and bodies. */
export function createMasker(credentialNames: Set<string>, apiKey: string | null | undefined) {
  const searched = apiKey && apiKey.length >= SHORTEST_KEY_SEARCHED ? apiKey : null
  const text = (value: string): string =>
    searched ? value.split(searched).join(maskSecret(searched)) : value
  const headers = (pairs: HeaderPairs): HeaderPairs =>
    pairs.map(([name, value]) => [
      name,
      credentialNames.has(name.toLowerCase()) ? maskCredential(value) : text(value)
    ])
  return { text, headers }
}

export type Masker = ReturnType<typeof createMasker>

/**
 * The answer's header lines in order, one per value of a repeated header, until their text
 * (`name: value\r\n`) passes RESPONSE_HEADERS_KEPT; `omitted` counts the lines left out.
 */
export function keptResponseHeaders(headers: IncomingHttpHeaders): { pairs: HeaderPairs; omitted: number } {
  const pairs: HeaderPairs = []
  let omitted = 0
  let bytes = 0
  for (const [name, values] of Object.entries(headers)) {
    for (const value of Array.isArray(values) ? values : [values ?? '']) {
      bytes += Buffer.byteLength(`${name}: ${value}\r\n`)
      if (bytes > RESPONSE_HEADERS_KEPT) omitted++
      else pairs.push([name, value])
    }
  }
  return { pairs, omitted }
}

export interface SentRequest {
  url: string
  /** As given to the HTTP client (upstreamHeaders). */
  headers: Record<string, string>
  body: string
}

/**
 * What lets a successful attempt keep no copy of its body (store/attempt-bodies.ts rebuilds it from
 * its events): the connector that built it and the CRC-32 of its bytes. Null when the body holds
 * the key: a rebuild is never given the key, so it could not give these bytes back.
 */
export function rebuildableBody(body: string, vendor: string, apiKey: string): RebuildableBody | null {
  return body.includes(apiKey) ? null : { vendor, crc32: crc32(body) }
}

/**
 * The record of one request and its answer (null: no answer came), secrets masked; `rebuildable`
 * when the body need not be stored (a successful attempt: rebuildableBody).
 */
export function recordExchange(
  sent: SentRequest,
  answer: UpstreamAnswer | null,
  mask: Masker,
  rebuildable: RebuildableBody | null = null
): ExchangeRecord {
  const received = answer ? keptResponseHeaders(answer.headers) : null
  return {
    method: UPSTREAM_METHOD,
    url: mask.text(sent.url),
    requestHeaders: mask.headers(Object.entries(sent.headers)),
    // A rebuildable body holds no key: nothing to search for.
    requestBody: rebuildable ? sent.body : mask.text(sent.body),
    rebuildable,
    responseHeaders: received && mask.headers(received.pairs),
    responseHeadersOmitted: received?.omitted ?? 0
  }
}
