import type { Destination } from '../config'
import type { UpstreamAnswer, UpstreamRequest, Verdict } from '../connectors/types'
import type { ClaimedEvent } from '../store'
import type { SentRequest } from './attempt-exchange'
import { upstreamHeaders, type Transport } from './transport'

/**
 * What one delivery of a batch came to, whatever carried it (an HTTP request to a vendor, a
 * publish to a NATS stream). The worker keeps every rule (leases, lanes, backoff, holds, what is
 * recorded); a sender only sends and says what the answer means.
 */
export interface SendResult {
  /** What was sent, in words, for the attempt's record (e.g. `POST /v1/events/batch (3 events, 812 bytes)`). */
  request: string
  /** The answer's status code; null when there is none (no answer, or not HTTP). */
  status: number | null
  /** The answer as recorded with the attempt; null when none. */
  responseBody: string | null
  verdict: Verdict
  /** False when nothing answered at all (timeout, connection lost): the destination shows offline. */
  answered: boolean
  /** The vendor's HTTP answer, read by a device registration for its real id. */
  answer: UpstreamAnswer | null
  /** Events refused for good on their own, by id with why; the others follow the verdict. */
  refused: Map<number, string>
  /**
   * The HTTP request exactly as sent, keys unmasked (the worker masks them before anything is
   * stored): the attempt's expandable record. Null for a stream publish, which is no HTTP request.
   */
  sent: SentRequest | null
}

/** A batch that could not even be sent (its request cannot be built): it fails with this reason, as it would every time. */
export interface NotSent {
  notSent: string
}

export interface Sender {
  /** `apiKey` is the destination's key in effect; `cancel` aborts at shutdown (outcome unknown). */
  send(events: ClaimedEvent[], apiKey: string | null, cancel: AbortSignal): Promise<SendResult | NotSent>
  close(): Promise<void>
}

/** A vendor destination: the connector builds the request, the transport posts it, the connector classifies the answer. */
export function createHttpSender(destination: Destination, transport: Transport, now: () => number): Sender {
  return {
    async send(events, apiKey, cancel) {
      const { connector } = destination
      if (!connector) throw new Error(`destination ${destination.id} has no vendor connector`)
      let built: UpstreamRequest
      try {
        built = connector.buildRequest(events, { apiKey: apiKey as string })
      } catch (error) {
        return {
          notSent: `Outpost could not build the ${connector.label} request: ${(error as Error).message}`
        }
      }
      const url = destination.baseUrl + built.path
      const result = await transport.post(url, built.headers, built.body, cancel)
      const sent = { url, headers: upstreamHeaders(built.headers), body: built.body }
      const request = `POST ${built.path} (${events.length} event${events.length === 1 ? '' : 's'}, ${built.body.length} bytes)`
      if (result.kind === 'no_answer') {
        return {
          request,
          status: null,
          responseBody: null,
          verdict: { outcome: 'retry', reason: result.reason },
          answered: false,
          answer: null,
          refused: new Map(),
          sent
        }
      }
      return {
        request,
        status: result.answer.status,
        responseBody: result.answer.body,
        verdict: connector.classifyResponse(result.answer, events.length, now()),
        answered: true,
        answer: result.answer,
        refused: new Map(),
        sent
      }
    },
    close: async () => {}
  }
}
