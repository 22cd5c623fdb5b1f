import { ACTIVITY_BUCKETS } from '@shared/activity'
import type { ExportFormat, OutpostApi } from '@shared/api'
import type {
  BulkAction,
  BulkPreview,
  DestinationSummary,
  EventFilter,
  EventDetail,
  ExportProgress,
  ImportProgress,
  Stats,
  SyncBlocker,
  SyncOutcome
} from '@shared/model'
import { activityReport, firstMinuteOf } from '../activity/report'
import { MINUTE_MS, type ActivityRecorder } from '../activity/recorder'
import { applyStoredKey, type Destination } from '../config'
import { acceptEdited } from '../connectors/edits'
import type { Problem } from '../connectors/types'
import { describeProblems } from '../connectors/validation'
import type { KeyStore } from '../config/keys'
import type { RejectionLog } from '../ingest/rejections'
import type { Store } from '../store'
import type { EventExports } from '../store/export-stream'
import { emptyCounts } from '../store/queries'
import type { Reader } from '../store/reader'
import type { IndexProgress } from '../store/search-index'
import type { SyncEngine } from '../sync/engine'
import { CorrectionError } from '../store'
import { BULK_ACTION_STATUSES } from '../store/bulk-actions'
import { createBulkJobs } from './bulk-jobs'
import { exportFileName, writeExportFile } from './exports'
import type { EventImports } from './imports'
import { ingestGuide } from './ingest-guides'
import { ingestRequestPreview, upstreamRequestPreview } from './request-preview'

export class NotFoundError extends Error {
  override name = 'NotFoundError'
}

/** An edit the vendor's rules refuse: the problems say which field and why. */
export class InvalidEditError extends Error {
  override name = 'InvalidEditError'
  constructor(readonly problems: Problem[]) {
    super(`The edited payload is not valid: ${describeProblems(problems)}`)
  }
}

/** Where the desktop app saves an export: the person picks the file, the window is told the progress. */
export interface ExportSaving {
  /** The path the person chose (a save dialog), or null when they cancelled. */
  choosePath(suggestedName: string, format: ExportFormat): Promise<string | null>
  progress(progress: ExportProgress): void
}

/** Where the desktop app's import reads: the file the person picks, its progress told to the window. */
export interface ImportOpening {
  /** The path the person chose (an open dialog), or null when they cancelled. */
  choosePath(): Promise<string | null>
  progress(progress: ImportProgress): void
}

/** Who calls: set by the transport (never by the caller's input), recorded with every correction. */
export interface CallContext {
  actor: string
  /** Only the desktop app's IPC can write an export to a file. */
  exportSaving?: ExportSaving
  /** Only the desktop app's IPC can open a file to import. */
  importOpening?: ImportOpening
}

const UNKNOWN_CALLER: CallContext = { actor: 'unknown' }
/** How many names the name filter suggests unless asked for fewer or more. */
const EVENT_NAME_SUGGESTIONS = 500

export interface ServiceDeps {
  store: Store
  /** The UI's reads, off the thread that answers ingest. */
  reader: Reader
  exports: EventExports
  imports: EventImports
  sync: SyncEngine
  destinations: Destination[]
  rejections: RejectionLog
  keys: KeyStore
  /** The activity counted in memory, not written yet, and the backlog now. */
  activity: Pick<ActivityRecorder, 'unwrittenSince' | 'writes' | 'backlogNow'>
  /** How far the payload search index is (null without one, or before the indexer said). */
  searchIndexProgress(): IndexProgress | null
  version(): number
  /** Tells the UI the outbox changed (it refetches on a new version). */
  changed(): void
  /** Events of each destination a person discarded (the metrics count them). */
  discarded(byDestination: Record<string, number>): void
  now(): number
  startedAt: number
  /** This device's name in its fleet (config `fleet.deviceId`). */
  deviceId: string
  /** The collector's own address, known once it listens. */
  collectorUrl(): string
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

/** Attempts at reading the activity table and the counts in memory from the same side of a write. */
const ACTIVITY_READ_TRIES = 3

/** Events stored but not in the search index yet: found by reading them, so searches of them take longer. */
const searchBacklog = (progress: IndexProgress | null) =>
  progress === null ? 0 : Math.max(0, progress.newest - progress.indexedThrough)

/** Why an event of a destination without a vendor cannot be edited (the stream's copy of an event). */
const notEditable = (label: string) =>
  `a ${label} destination publishes each event as its feeding route stored it: edit the event at that route and resend it there, or discard this copy`

/** The one implementation of OutpostApi; IPC and HTTP both call into it. */
export function createOutpostService(deps: ServiceDeps): OutpostApi {
  function requireDestination(id: string): Destination {
    const destination = deps.destinations.find((candidate) => candidate.id === id)
    if (!destination) throw new NotFoundError(`No destination "${id}"`)
    return destination
  }

  const ingestUrlOf = (destination: Destination) => `${deps.collectorUrl()}/${destination.id}`

  function summarize(destination: Destination, counts: DestinationSummary['counts']): DestinationSummary {
    const state = deps.sync.state(destination.id)
    const saved = deps.store.destinations.get(destination.id)
    return {
      id: destination.id,
      vendor: destination.vendor,
      vendorLabel: destination.label,
      baseUrl: destination.baseUrl,
      ingestUrl: ingestUrlOf(destination),
      fedBy: deps.destinations.filter((d) => d.copiesTo.includes(destination.id)).map((d) => d.id),
      configured: !destination.keyRequired || destination.apiKey !== null,
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

  /** What keeps a destination from sending even when told to sync now; null when it sends. */
  function syncBlocker(destination: Destination): SyncBlocker | null {
    const { hold, nextAttemptAt } = deps.sync.state(destination.id)
    if (hold === 'paused' || hold === 'not_configured') return hold
    // Held for a refused key, it sends only the probe, when that is due.
    if (hold === 'auth' && (nextAttemptAt === null || nextAttemptAt > deps.now())) return hold
    return null
  }

  function syncOutcome(targets: Destination[]): SyncOutcome {
    const outcome: SyncOutcome = { syncing: [], held: [] }
    const counts = deps.store.queries.countsByDestination()
    for (const destination of targets) {
      const blocker = syncBlocker(destination)
      if (blocker === null) {
        outcome.syncing.push(destination.id)
        continue
      }
      const waiting = counts.get(destination.id) ?? emptyCounts()
      outcome.held.push({ destination: destination.id, blocker, waiting: waiting.queued + waiting.retrying })
    }
    return outcome
  }

  /** The event and its destination, as a preview of its requests reads them. */
  function eventAndDestination(id: number) {
    const event = deps.store.corrections.target(id)
    if (!event) throw new NotFoundError(`No event #${id}`)
    return { event, destination: requireDestination(event.destination) }
  }

  const bulkJobs = createBulkJobs({
    bulk: deps.store.bulk,
    now: deps.now,
    changed(destinations) {
      deps.changed()
      deps.sync.wake(destinations)
    },
    discarded: deps.discarded
  })

  /**
   * The events a bulk action would take: the filter's in each status the action takes, counted as
   * the list counts them. The newest id is read first, so the count holds every event up to it.
   */
  async function previewBulk(action: BulkAction, filter: EventFilter): Promise<BulkPreview> {
    if (filter.destination !== undefined) requireDestination(filter.destination)
    const throughId = deps.store.bulk.newestId()
    const statuses = BULK_ACTION_STATUSES[action].filter(
      (status) => filter.status === undefined || filter.status === status
    )
    const counts = await Promise.all(statuses.map((status) => deps.reader.countEvents({ ...filter, status })))
    const count = counts.reduce((sum, counted) => sum + counted.count, 0)
    if (counts.some((counted) => !counted.exact)) {
      throw new CorrectionError(
        `This search matches at least ${count} events, more than can be counted exactly: ` +
          'narrow it (a destination, a status, a time range) before acting on every match'
      )
    }
    const destinations =
      filter.destination === undefined ? deps.destinations.map((d) => d.id) : [filter.destination]
    return { action, count, destinations, throughId }
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
        searchBacklog: searchBacklog(deps.searchIndexProgress()),
        version: deps.version(),
        startedAt: new Date(deps.startedAt).toISOString(),
        deviceId: deps.deviceId
      }
    },
    async listEvents(query) {
      return deps.reader.listEvents(query)
    },
    async countEvents(filter) {
      return deps.reader.countEvents(filter)
    },
    async listEventNames({ limit }) {
      return deps.reader.eventNames(limit ?? EVENT_NAME_SUGGESTIONS)
    },
    async exportEventsToFile({ query, format }, context: CallContext = UNKNOWN_CALLER) {
      const saving = context.exportSaving
      if (!saving) throw new Error('Only the desktop app writes an export to a file: download it over HTTP')
      const exportedAt = new Date(deps.now()).toISOString()
      const path = await saving.choosePath(exportFileName(exportedAt, format), format)
      if (path === null) return null
      let rows = 0
      const stream = deps.exports.open({ filter: query, format, exportedAt }, (progress) => {
        rows = progress.rows
        saving.progress(progress)
      })
      await writeExportFile(stream, path)
      return { path, rows }
    },
    async importEventsFromFile(options, context: CallContext = UNKNOWN_CALLER) {
      const opening = context.importOpening
      if (!opening) throw new Error('Only the desktop app opens a file to import: upload it over HTTP')
      // Taken before the dialog opens: a second import is refused at once, not after a file is picked.
      const slot = deps.imports.begin(options)
      let path: string | null
      try {
        path = await opening.choosePath()
      } catch (error) {
        slot.release()
        throw error
      }
      if (path === null) {
        slot.release()
        return null
      }
      return slot.run(path, opening.progress)
    },
    async getEvent({ id }) {
      return deps.reader.getEvent(id)
    },
    async pauseDestination({ id }) {
      requireDestination(id)
      deps.sync.pause(id)
    },
    async resumeDestination({ id }) {
      requireDestination(id)
      deps.sync.resume(id)
    },
    async previewUpstreamRequest({ id, revealKey = false }) {
      const { event, destination } = eventAndDestination(id)
      return upstreamRequestPreview(destination, event, revealKey)
    },
    async previewIngestRequest({ id }) {
      const { event, destination } = eventAndDestination(id)
      return ingestRequestPreview(deps.collectorUrl(), destination, event)
    },
    async editPayload({ id, payload }, context: CallContext = UNKNOWN_CALLER) {
      const target = deps.store.corrections.target(id)
      if (!target) throw new NotFoundError(`No event #${id}`)
      const { connector, label } = requireDestination(target.destination)
      const now = deps.now()
      const outcome = connector
        ? acceptEdited(connector, target, payload, now)
        : { ok: false as const, problems: [{ field: '', reason: notEditable(label) }] }
      if (!outcome.ok) throw new InvalidEditError(outcome.problems)
      const { payload: text, name, userKey, occurredAt } = outcome.event
      deps.store.corrections.editPayload(
        id,
        { payload: text, name, userKey, occurredAt },
        { actor: context.actor, at: now }
      )
      deps.changed()
      return (await deps.reader.getEvent(id)) as EventDetail
    },
    async resendEvents(selection, context: CallContext = UNKNOWN_CALLER) {
      const ids =
        'ids' in selection ? selection.ids : deps.store.corrections.eventsOfAttempt(selection.attemptId)
      const result = deps.store.corrections.resendEvents(ids, { actor: context.actor, at: deps.now() })
      deps.changed()
      deps.sync.wake(result.destinations)
      return { changed: result.changed, skipped: result.skipped }
    },
    async discardEvents({ ids }, context: CallContext = UNKNOWN_CALLER) {
      const result = deps.store.corrections.discardEvents(ids, { actor: context.actor, at: deps.now() })
      deps.discarded(result.changedByDestination)
      deps.changed()
      return { changed: result.changed, skipped: result.skipped }
    },
    async previewBulkAction({ action, filter }) {
      return previewBulk(action, filter)
    },
    async startBulkAction(input, context: CallContext = UNKNOWN_CALLER) {
      if (input.filter.destination !== undefined) requireDestination(input.filter.destination)
      return bulkJobs.start(input, context.actor)
    },
    async getBulkAction({ id }) {
      return bulkJobs.get(id)
    },
    async undoBulkDiscard({ id }, context: CallContext = UNKNOWN_CALLER) {
      return bulkJobs.undo(id, context.actor)
    },
    async setApiKey({ id, apiKey }) {
      const destination = requireDestination(id)
      deps.keys.set(id, apiKey)
      applyStoredKey(destination, apiKey === null ? null : { ok: true, value: apiKey })
      deps.sync.clearAuthHold(id)
    },
    async syncNow({ id }) {
      const targets = id === undefined ? deps.destinations : [requireDestination(id)]
      deps.sync.syncNow(id)
      return syncOutcome(targets)
    },
    async getIngestGuides() {
      const now = deps.now()
      return deps.destinations.flatMap(({ connector, ...destination }) =>
        connector
          ? [ingestGuide({ ...destination, connector }, ingestUrlOf({ ...destination, connector }), now)]
          : []
      )
    },
    async listRejections({ limit }) {
      return deps.rejections.list(limit)
    },
    async clearRejections() {
      deps.rejections.clear()
    },
    async getActivity({ range }) {
      const now = deps.now()
      const first = firstMinuteOf(range, now)
      // The table is read off this thread: a minute written meanwhile would be in both the rows and
      // the copy of the counts in memory (or in neither), so the read is made again.
      let tries = 0
      for (;;) {
        const writes = deps.activity.writes()
        const unwritten = deps.activity.unwrittenSince(first)
        const written = await deps.reader.activityBuckets(first, ACTIVITY_BUCKETS[range].bucketMs / MINUTE_MS)
        if (deps.activity.writes() === writes || ++tries === ACTIVITY_READ_TRIES) {
          return activityReport({
            range,
            now,
            destinations: deps.destinations.map((destination) => destination.id),
            written,
            unwritten,
            backlogNow: deps.activity.backlogNow()
          })
        }
      }
    }
  }
}
