import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import type { OutpostApi } from '@shared/api'
import { createActivityRecorder, waitingByDestination } from './activity/recorder'
import { resolveDestinations, type OutpostConfig } from './config'
import { openKeyStore, PLAIN_CIPHER, type KeyCipher } from './config/keys'
import { createAdminAuth } from './admin/auth'
import { registerConsole } from './admin/console'
import { registerAdminApi } from './admin/http'
import { createEventImports } from './admin/imports'
import { createOutpostService } from './admin/service'
import { lockDataDir } from './data-lock'
import { ensureOwnerOnlyDir } from './file-modes'
import { registerBrowserAccess } from './ingest/browser-access'
import { createGroupCommitWriter } from './ingest/group-commit'
import { createRejectionLog, recordRejections } from './ingest/rejections'
import { registerIngestRoutes } from './ingest/routes'
import { createHttpServer } from './ingest/server'
import { startPruning } from './maintenance/pruning'
import { createReadiness } from './metrics/readiness'
import { createOutpostMetrics } from './metrics/registry'
import { METRICS_PATHS, observeIngestAnswers, registerMetricsRoutes } from './metrics/routes'
import { copiesOf, withFedDestinations } from './nats/fan-out'
import { openReader, openStore, type EnqueueResult, type NewEvent, type Store } from './store'
import { createEventExports } from './store/export-stream'
import { searchIndexFileOf } from './store/search-index'
import { startSearchIndexer } from './store/search-indexer'
import { createSyncEngine } from './sync/engine'
import { watchNetwork } from './sync/network-watch'

export interface CollectorOptions {
  config: OutpostConfig
  dataDir: string
  /** Override the config's ingest host and port (port 0 = any free port). */
  host?: string
  port?: number
  /** Bearer token of the admin API; generated when absent. */
  adminToken?: string
  /** The renderer build to serve as the web console; null to serve none. */
  rendererDir?: string | null
  env?: NodeJS.ProcessEnv
  now?: () => number
  /** How keys set in Outpost are encrypted at rest (the desktop app: the OS keychain); default none. */
  keyCipher?: KeyCipher
  /** Where the network watch reads the machine's addresses (tests simulate a network coming up). */
  networkAddresses?: () => string[]
  /**
   * Whether to keep the payload search index (store/search-indexer.ts; default true). Without it
   * every search reads the events themselves, within its time budget: tests that do not search
   * spare the worker thread.
   */
  searchIndex?: boolean
}

export interface Collector {
  url: string
  host: string
  port: number
  adminToken: string
  /** A fresh one-time link that signs a browser in to the console. */
  loginLink(): string
  consoleServed: boolean
  api: OutpostApi
  store: Store
  close(): Promise<void>
}

const NETWORK_CHECK_MS = 2_000
/** Room on an import's line for everything but its two payloads. */
const IMPORT_LINE_FIELDS_BYTES = 64 * 1024
/** How long a device registration waits for the vendor's id before answering a provisional one. */
const ONLINE_REGISTRATION_WAIT_MS = 3_000

/** The composition root: config -> store -> ingest server -> sync engine -> admin API. */
export async function startCollector(options: CollectorOptions): Promise<Collector> {
  const { config } = options
  const now = options.now ?? Date.now
  ensureOwnerOnlyDir(options.dataDir)
  // Read before the folder is locked: a damaged keys.json then stops the start with nothing held.
  const keys = openKeyStore(join(options.dataDir, 'keys.json'), options.keyCipher ?? PLAIN_CIPHER)
  const destinations = resolveDestinations(config, options.env, keys)
  const unlock = lockDataDir(options.dataDir)
  const outboxFile = join(options.dataDir, 'outbox.sqlite')
  let store: Store
  try {
    store = openStore(outboxFile)
  } catch (error) {
    // The OS frees the lock only when this process ends: a failed start in a process that goes on
    // (a retry, a test) must give the folder back itself.
    unlock()
    throw error
  }
  let version = 0
  const onChange = () => void version++
  const activity = createActivityRecorder({
    destinations: destinations.map((destination) => destination.id),
    log: store.activity,
    backlog: () => waitingByDestination(store.queries.countsByDestination()),
    now
  })

  const readiness = createReadiness({
    databaseOpen: () => store.db.open,
    backlog: store.outbox.backlog,
    limits: config.storage
  })
  const reader = openReader(outboxFile, { searchIndexFile: searchIndexFileOf(outboxFile) })
  // Holds are read at a scrape, from the sync engine made just below.
  const metrics = createOutpostMetrics({
    deviceId: config.fleet.deviceId,
    destinations,
    ledger: store.queries.statusLedger,
    hold: (id) => sync.state(id).hold,
    queueHeads: reader.queueHeads,
    problems: readiness.problems,
    limits: config.storage,
    now
  })
  const sync = createSyncEngine(store, destinations, {
    timeoutMs: config.sync.timeoutMs,
    concurrency: config.sync.concurrency,
    backoff: { baseMs: config.sync.backoffBaseMs, maxMs: config.sync.backoffMaxMs },
    authRetry: { baseMs: config.sync.authRetryBaseMs, maxMs: config.sync.authRetryMaxMs },
    now,
    onChange,
    onSettled: (destination, status, events) => {
      activity.settled(destination, status, events)
      metrics.settled(destination, status, events)
    },
    onAttempted: (destination, outcome, seconds) => metrics.attempted(destination, outcome, seconds)
  })

  const copies = copiesOf(destinations)
  const copiesPerEvent = new Map(destinations.map((d) => [d.id, d.copiesTo.length]))
  /** One group commit, and what it tells the activity, the metrics and the readiness. */
  function commit(requests: NewEvent[][], receivedAt: number): EnqueueResult[] {
    const started = performance.now()
    let results: EnqueueResult[]
    try {
      // enqueueEvents is the transaction: when it returns, its events (and their copies for the
      // NATS destinations they feed) are committed.
      results = store.outbox.enqueueEvents(requests, receivedAt, copies)
    } catch (error) {
      readiness.commitFailed(error)
      throw error
    }
    const events = requests.reduce((sum, request) => sum + request.length, 0)
    metrics.committed(requests.length, events, (performance.now() - started) / 1000)
    readiness.committed()
    results.forEach((result, index) => {
      const [first] = requests[index] ?? []
      if (!first) return
      stored(first.destination, result.inserted)
      result.copied?.forEach((inserted, destination) => stored(destination, inserted))
    })
    return results
  }
  function stored(destination: string, inserted: number): void {
    activity.stored(destination, inserted)
    metrics.stored(destination, inserted)
  }
  const writer = createGroupCommitWriter({
    commit,
    copiesPerEvent: (destination) => copiesPerEvent.get(destination) ?? 0,
    backlog: store.outbox.backlog,
    limits: config.storage,
    now,
    onCommitted: (ids) => {
      onChange()
      sync.wake(withFedDestinations(destinations, ids))
    }
  })

  const adminToken = options.adminToken ?? randomBytes(24).toString('base64url')
  let url = ''
  const rejections = createRejectionLog(now, undefined, (rejection) =>
    metrics.rejected(rejection.destination, rejection.error)
  )
  const vendorOf = (id: string) => destinations.find((destination) => destination.id === id)?.vendor ?? null
  const exports = createEventExports(outboxFile, vendorOf)
  const imports = createEventImports({
    destinations,
    writer,
    realDeviceId: store.devices.realIdOf,
    now,
    // A line holds the payload as received and as sent, each at most a request body, and its fields.
    maxLineBytes: 2 * config.ingest.bodyLimitBytes + IMPORT_LINE_FIELDS_BYTES
  })
  const indexer = options.searchIndex === false ? null : startSearchIndexer(outboxFile)
  const api = createOutpostService({
    store,
    reader,
    exports,
    imports,
    sync,
    destinations,
    rejections,
    keys,
    activity,
    searchIndexProgress: () => indexer?.progress() ?? null,
    version: () => version,
    changed: onChange,
    discarded: (byDestination) => {
      for (const [destination, events] of Object.entries(byDestination))
        metrics.discarded(destination, events)
    },
    now,
    startedAt: now(),
    deviceId: config.fleet.deviceId,
    collectorUrl: () => url
  })
  const app = createHttpServer({
    bodyLimit: config.ingest.bodyLimitBytes,
    requestTimeoutMs: config.ingest.requestTimeoutMs,
    maxConnections: config.ingest.maxConnections
  })
  registerBrowserAccess(app, {
    destinations,
    allowedHosts: [...config.ingest.allowedHosts, options.host ?? config.ingest.host],
    anyAddressPaths: config.metrics.enabled ? METRICS_PATHS : []
  })
  const destinationIds = new Set(destinations.map((destination) => destination.id))
  recordRejections(app, rejections, destinationIds)
  observeIngestAnswers(app, destinationIds, metrics)
  registerMetricsRoutes(app, { config: config.metrics, metrics, readiness })
  registerIngestRoutes(app, {
    destinations,
    writer,
    now,
    realDeviceId: store.devices.realIdOf,
    awaitRealDeviceId: (destination, provisionalId) =>
      sync.waitForDevice(destination, provisionalId, ONLINE_REGISTRATION_WAIT_MS)
  })
  const adminAuth = createAdminAuth({ token: adminToken, now, baseUrl: () => url })
  registerAdminApi(app, api, adminAuth, { exports, imports, now })
  const consoleServed = await registerConsole(app, options.rendererDir ?? null)

  const pruning = startPruning({
    retention: store.retention,
    retentionMs: config.storage.retentionDays * 86_400_000,
    now,
    onPruned: onChange
  })

  try {
    await app.listen({ host: options.host ?? config.ingest.host, port: options.port ?? config.ingest.port })
  } catch (error) {
    pruning.stop()
    await reader.close()
    await indexer?.close()
    store.close()
    unlock()
    throw error
  }
  sync.start()
  activity.start()
  const network = watchNetwork({
    onNetworkUp: () => sync.retryOffline(),
    intervalMs: NETWORK_CHECK_MS,
    addresses: options.networkAddresses
  })
  const address = app.server.address() as AddressInfo
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  url = `http://${host}:${address.port}`

  let closing: Promise<void> | null = null
  async function close(): Promise<void> {
    // Stop accepting, let accepted requests finish their commit, stop delivery, close the db.
    network.stop()
    // A download in progress would hold app.close() for as long as its client reads; an import ends
    // before its next line, its answer says where (its events so far are stored).
    exports.close()
    await imports.close()
    await app.close()
    writer.flush()
    await sync.stop()
    activity.stop()
    pruning.stop()
    metrics.close()
    await reader.close()
    await indexer?.close()
    store.close()
    unlock()
  }

  return {
    url,
    host,
    port: address.port,
    adminToken,
    loginLink: adminAuth.loginLink,
    consoleServed,
    api,
    store,
    close: () => (closing ??= close())
  }
}
