import { EXPORT_LIMIT, type OutpostApi } from '@shared/api'
import type { DestinationSummary, Stats } from '@shared/model'
import { applyStoredKey, type Destination } from '../config'
import type { KeyStore } from '../config/keys'
import type { RejectionLog } from '../ingest/rejections'
import type { Store } from '../store'
import { emptyCounts } from '../store/queries'
import type { SyncEngine } from '../sync/engine'

export class NotFoundError extends Error {
  override name = 'NotFoundError'
}

export interface ServiceDeps {
  store: Store
  sync: SyncEngine
  destinations: Destination[]
  rejections: RejectionLog
  keys: KeyStore
  version(): number
  startedAt: number
  /** The collector's own address, known once it listens. */
  collectorUrl(): string
}

const REJECTIONS_PAGE = 200

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

/** The one implementation of OutpostApi; IPC and HTTP both call into it. */
export function createOutpostService(deps: ServiceDeps): OutpostApi {
  function requireDestination(id: string): Destination {
    const destination = deps.destinations.find((candidate) => candidate.id === id)
    if (!destination) throw new NotFoundError(`No destination "${id}"`)
    return destination
  }

  function summarize(destination: Destination, counts: DestinationSummary['counts']): DestinationSummary {
    const state = deps.sync.state(destination.id)
    const saved = deps.store.destinations.get(destination.id)
    return {
      id: destination.id,
      vendor: destination.vendor,
      vendorLabel: destination.connector.label,
      baseUrl: destination.baseUrl,
      ingestUrl: `${deps.collectorUrl()}/${destination.id}`,
      configured: destination.apiKey !== null,
      keySource: destination.keySource,
      keysEncrypted: deps.keys.encrypted,
      paused: saved.paused,
      hold: state.hold,
      holdReason: state.holdReason,
      counts,
      nextAttemptAt: iso(state.nextAttemptAt),
      lastSuccessAt: iso(saved.lastSuccessAt)
    }
  }

  return {
    async getStats(): Promise<Stats> {
      const byDestination = deps.store.queries.countsByDestination()
      const counts = emptyCounts()
      for (const perDestination of byDestination.values()) {
        for (const [status, n] of Object.entries(perDestination)) counts[status as keyof typeof counts] += n
      }
      return {
        counts,
        destinations: deps.destinations.map((d) => summarize(d, byDestination.get(d.id) ?? emptyCounts())),
        rejections: { count: deps.rejections.count(), lastId: deps.rejections.lastId() },
        version: deps.version(),
        startedAt: new Date(deps.startedAt).toISOString()
      }
    },
    async listEvents(query) {
      return deps.store.queries.listEvents(query)
    },
    async exportEvents(query) {
      const { events, truncated } = deps.store.queries.exportEvents(query, EXPORT_LIMIT)
      return { exportedAt: new Date().toISOString(), query, truncated, events }
    },
    async getEvent({ id }) {
      return deps.store.queries.getEvent(id)
    },
    async pauseDestination({ id }) {
      requireDestination(id)
      deps.sync.pause(id)
    },
    async resumeDestination({ id }) {
      requireDestination(id)
      deps.sync.resume(id)
    },
    async setApiKey({ id, apiKey }) {
      const destination = requireDestination(id)
      deps.keys.set(id, apiKey)
      applyStoredKey(destination, apiKey === null ? null : { ok: true, value: apiKey })
      deps.sync.clearAuthHold(id)
    },
    async syncNow({ id }) {
      if (id !== undefined) requireDestination(id)
      deps.sync.syncNow(id)
    },
    async listRejections({ limit = REJECTIONS_PAGE }) {
      return deps.rejections.list(limit)
    },
    async clearRejections() {
      deps.rejections.clear()
    }
  }
}
