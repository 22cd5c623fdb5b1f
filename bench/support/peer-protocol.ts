import type { EventQuery } from '../../src/shared/model'

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
  /** Whose bodies to send (default Whisperr). Flywheel takes one event a request, its bodies unique by sequence. */
  vendor?: MockVendor
  /** 1: each body is one event (Whisperr's track body); more: `{ "events": [...] }` (its batch body). */
  eventsPerRequest: number
  clients: number
  requestsPerClient: number
  maxDurationMs: number
  /** Starts every message id, so that no event of the run repeats an earlier one. */
  messageIdPrefix: string
  /**
   * When set, the load is open: each client sends its n-th request at n × paceMs after the start,
   * answered or not, and latency counts from that planned time, so a server that stalls is charged
   * for every request it kept waiting, not only for the one it held.
   */
  paceMs?: number
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

/** The UI's list queries, sent one after another through the admin API while a load runs. */
export interface QueryLoopPlan {
  /** `http://127.0.0.1:PORT` of the collector's admin API. */
  origin: string
  token: string
  queries: EventQuery[]
  /** No query starts later than this after the load began (a paced load's sending window). */
  durationMs: number
}

export interface QueryLoopReport {
  /** Queries answered while the load ran. */
  queries: number
  p50Ms: number
  maxMs: number
}

/** A scraper reading the collector's /metrics at a fixed interval while a load runs, as Prometheus would. */
export interface ScrapeLoopPlan {
  /** `http://127.0.0.1:PORT/metrics` */
  url: string
  intervalMs: number
  /** No scrape starts later than this after the load began. */
  durationMs: number
}

export interface ScrapeReport {
  scrapes: number
  p50Ms: number
  maxMs: number
  /** The size of the last answer. */
  bytes: number
}

/** The mock upstreams the peer can run: one vendor that takes batches, one that takes one event a request. */
export type MockVendor = 'whisperr' | 'flywheel'

/** What a mock upstream had accepted when every expected event arrived or the deadline passed. */
export interface DrainReport {
  /** Distinct events accepted (Whisperr: by message id; Flywheel: accepted requests). */
  accepted: number
  /** Date.now() when the last of them was accepted; null when none was. */
  lastAcceptedAt: number | null
  /** Every expected event arrived before the deadline. */
  complete: boolean
  requests: number
  /** Events accepted more than once (Whisperr: message ids; Flywheel: identical bodies). */
  duplicates: number
  rejections: number
}

export type PeerCommand =
  | { type: 'load'; plan: LoadPlan }
  | { type: 'load-while-querying'; plan: LoadPlan; queries: QueryLoopPlan }
  | { type: 'load-while-scraping'; plan: LoadPlan; scrape: ScrapeLoopPlan }
  /** Scrapes `url` `count` times, one after another. */
  | { type: 'scrape'; url: string; count: number }
  | { type: 'start-whisperr'; apiKey: string }
  | { type: 'reset-whisperr' }
  | { type: 'await-whisperr'; events: number; timeoutMs: number }
  | { type: 'start-flywheel'; apiKey: string }
  /** Forgets what the mock received and answers every request `latencyMs` late (0: at once). */
  | { type: 'reset-upstream'; vendor: MockVendor; latencyMs: number }
  /** Waits until the mock has `events` events or Date.now() passes `deadline`; never fails on time. */
  | { type: 'await-upstream'; vendor: MockVendor; events: number; deadline: number }

export interface PeerReplies {
  load: LoadReport
  'load-while-querying': LoadReport & { queryLoop: QueryLoopReport }
  'load-while-scraping': LoadReport & { scrapes: ScrapeReport }
  scrape: ScrapeReport
  'start-whisperr': { url: string }
  'reset-whisperr': null
  'await-whisperr': UpstreamReport
  'start-flywheel': { url: string }
  'reset-upstream': null
  'await-upstream': DrainReport
}

export type PeerRequest = PeerCommand & { id: number }

export type PeerResponse = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string }

/** The peer's first message: its modules are loaded and it takes commands. */
export const PEER_READY = 'outpost-bench-peer-ready'
