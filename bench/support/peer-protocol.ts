/**
 * Messages between a benchmark (the vitest worker, which runs the server under test) and its peer
 * process (the load generator and the mock upstream), which runs on the machine's other core, as
 * an app and a vendor would.
 */

/** A bounded load: every client sends `requestsPerClient` requests, one at a time, or stops at the deadline. */
export interface LoadPlan {
  /** `http://127.0.0.1:PORT` of the server under load. */
  origin: string
  path: string
  /** 1: each body is one event (Whisperr's track body); more: `{ "events": [...] }` (its batch body). */
  eventsPerRequest: number
  clients: number
  requestsPerClient: number
  maxDurationMs: number
  /** Starts every message id, so that no event of the run repeats an earlier one. */
  messageIdPrefix: string
}

export interface LoadReport {
  /** Requests answered 202. */
  acknowledgedRequests: number
  acknowledgedEvents: number
  failures: number
  firstFailure: string | null
  /** From the first request sent to the last answer received. */
  elapsedMs: number
  p50Ms: number
  p99Ms: number
  stoppedByDeadline: boolean
}

/** What the mock Whisperr saw once it had every expected event. */
export interface UpstreamReport {
  /** Date.now() when the mock accepted the last of them (same clock as the benchmark's). */
  completedAt: number
  distinctEvents: number
  requests: number
  duplicates: number
  rejections: number
}

export type PeerCommand =
  | { type: 'load'; plan: LoadPlan }
  | { type: 'start-whisperr'; apiKey: string }
  | { type: 'reset-whisperr' }
  | { type: 'await-whisperr'; events: number; timeoutMs: number }

export interface PeerReplies {
  load: LoadReport
  'start-whisperr': { url: string }
  'reset-whisperr': null
  'await-whisperr': UpstreamReport
}

export type PeerRequest = PeerCommand & { id: number }

export type PeerResponse = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string }

/** The peer's first message: its modules are loaded and it takes commands. */
export const PEER_READY = 'outpost-bench-peer-ready'
