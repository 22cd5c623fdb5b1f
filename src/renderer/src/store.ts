import { create } from 'zustand'
import type { ActivityRange, ActivityReport } from '@shared/activity'
import type { ExportFormat, OutpostApi } from '@shared/api'
import type {
  BulkOutcome,
  EventCount,
  EventDetail,
  EventPage,
  EventQuery,
  EventStatus,
  EventSummary,
  ExportProgress,
  IngestGuide,
  RejectedField,
  Rejection,
  RequestPreview,
  ResendSelection,
  Stats,
  UpstreamRequestPreview
} from '@shared/model'
import {
  authProblemOf,
  connect,
  connectWithToken,
  describeError,
  followExportProgress,
  isRefusedByCollector,
  isUnauthorized
} from './api'
import { createPoller } from './poller'
import { syncNotice } from './sync-notice'

export type AppState = 'loading' | 'ready' | 'auth' | 'error'

/**
 * Which receipt times the list shows: any; the last minutes up to now (the window moves with the
 * clock at every read); or between two local times as a datetime-local input gives them (to the
 * minute, both included; either may be empty).
 */
export type ReceivedFilter =
  { kind: 'any' } | { kind: 'last'; minutes: number } | { kind: 'between'; from: string; to: string }

export interface EventFilters {
  status: EventStatus | ''
  destination: string
  search: string
  /** Only the events one upstream request carried; null for all. */
  attemptId: number | null
  received: ReceivedFilter
}

export type DetailState = 'none' | 'loading' | 'loaded' | 'missing'

/** The stored events, the requests Outpost refused (nothing of which was stored), or each destination's activity. */
export type View = 'events' | 'rejected' | 'activity'

const POLL_INTERVAL_MS = 1000
/** The count is read again at most this often while the outbox changes (a search's takes up to 250 ms). */
const COUNT_INTERVAL_MS = 3000
const SEARCH_DEBOUNCE_MS = 250
const PAGE_SIZE = 200
/** The admin API's largest page; a refresh re-reads at most this many rows. */
const MAX_PAGE_SIZE = 1000

const NO_FILTERS: EventFilters = {
  status: '',
  destination: '',
  search: '',
  attemptId: null,
  received: { kind: 'any' }
}

interface OutpostState {
  appState: AppState
  /** Why the last poll failed; cleared by the next one that succeeds. */
  connectionProblem: string | null
  /** Shown on the token form, e.g. when a token was refused or a session ended. */
  authProblem: string | null
  /** The last failed user action, until dismissed. */
  banner: string | null
  /** What the last bulk action did, e.g. that some events were skipped. */
  notice: string | null
  /** Events ticked in the list for a bulk resend or discard. */
  checkedIds: number[]
  stats: Stats | null
  events: EventSummary[]
  nextBeforeId: number | null
  /**
   * Set when the last page read was a search that ran out of time: events received before this were
   * not searched yet, and "Search older" goes on.
   */
  searchedBackTo: string | null
  /** How many events the filters match (at least, when not exact); null until read. */
  count: EventCount | null
  eventsLoaded: boolean
  loadingMore: boolean
  filters: EventFilters
  /** What is typed in the search box; becomes filters.search after a pause in typing. */
  searchText: string
  selectedId: number | null
  detail: EventDetail | null
  detailState: DetailState
  view: View
  /** Newest first; read while the rejected view is open. */
  rejections: Rejection[]
  selectedRejectionId: number | null
  /** How far the desktop app's export to a file has come; null when none runs. */
  exportProgress: ExportProgress | null
}

interface OutpostActions {
  /** Starts live updates; returns the function that stops them. */
  startLiveUpdates(): () => void
  submitToken(token: string): void
  setStatusFilter(status: EventStatus | ''): void
  setDestinationFilter(destination: string): void
  setSearchText(text: string): void
  setReceivedFilter(received: ReceivedFilter): void
  /** Lists the events of one upstream request, whatever the other filters were. */
  showRequestEvents(attemptId: number | null): void
  clearFilters(): void
  loadMore(): Promise<void>
  select(id: number | null): void
  moveSelection(offset: 1 | -1): void
  pauseDestination(id: string): Promise<void>
  resumeDestination(id: string): Promise<void>
  /** Sets (or, with null, removes) the vendor key Outpost keeps; true when it was saved. */
  setApiKey(id: string, apiKey: string | null): Promise<boolean>
  /** One destination, or all of them when id is absent; a notice names those a hold keeps from sending. */
  syncNow(id?: string): Promise<void>
  /** How to send to each destination (the empty list's guide); null when the collector could not say. */
  loadIngestGuides(): Promise<IngestGuide[] | null>
  /** The activity charts of the range; throws what the collector answered (the view shows it). */
  loadActivity(range: ActivityRange): Promise<ActivityReport>
  /** The collector's API, for a component's own calls (bulk actions); null before connecting. */
  client(): OutpostApi | null
  showView(view: View): void
  selectRejection(id: number | null): void
  moveRejectionSelection(offset: 1 | -1): void
  clearRejections(): Promise<void>
  /** Desktop app: main saves the events the filters match, with their payloads, where the person picks. */
  exportToFile(format: ExportFormat): Promise<void>
  toggleChecked(id: number): void
  /** Ticks every event shown, or none. */
  checkAll(checked: boolean): void
  /** Saves an edited payload; on refusal, the vendor's words and the fields they name. */
  /** `payload` is JSON text, sent as the person wrote it. */
  editPayload(id: number, payload: string): Promise<EditResult>
  resendEvents(selection: ResendSelection): Promise<void>
  discardEvents(ids: number[]): Promise<void>
  /** The request delivery sends upstream for an event (key masked unless revealed); null when it failed (said in the banner). */
  previewUpstreamRequest(id: number, revealKey: boolean): Promise<UpstreamRequestPreview | null>
  /** The ingest request an app sends for an event, reconstructed; null when it failed. */
  previewIngestRequest(id: number): Promise<RequestPreview | null>
  showError(message: string): void
  dismissBanner(): void
  dismissNotice(): void
}

export type EditResult = { ok: true } | { ok: false; message: string; problems: RejectedField[] }

export type OutpostStore = OutpostState & OutpostActions

// Bookkeeping that no component renders lives outside the store.
let api: OutpostApi | null = null
let connected = false
/** Outbox version the event list and the detail were last read at. */
let eventsVersion: number | null = null
let detailVersion: number | null = null
/** The rejection log's `count:lastId` when the rejected view was last read. */
let rejectionsVersion: string | null = null
/** Which filters the rows in the store were fetched with. */
let eventsFetchedWith: EventFilters | null = null
/** Only the newest request of each kind may write its answer. */
let eventsRequest = 0
let detailRequest = 0
let rejectionsRequest = 0
let countRequest = 0
/** When the count was last read (performance.now()). */
let countedAt = Number.NEGATIVE_INFINITY
let searchTimer: ReturnType<typeof setTimeout> | null = null

const poller = createPoller(pollOnce, POLL_INTERVAL_MS)

export const useOutpost = create<OutpostStore>()((set, get) => ({
  appState: 'loading',
  connectionProblem: null,
  authProblem: null,
  banner: null,
  notice: null,
  checkedIds: [],
  stats: null,
  events: [],
  nextBeforeId: null,
  searchedBackTo: null,
  count: null,
  eventsLoaded: false,
  loadingMore: false,
  filters: NO_FILTERS,
  searchText: '',
  selectedId: null,
  detail: null,
  detailState: 'none',
  view: 'events',
  rejections: [],
  selectedRejectionId: null,
  exportProgress: null,

  startLiveUpdates() {
    if (!connected) {
      connected = true
      api = connect()
    }
    poller.start()
    return () => poller.stop()
  },

  submitToken(token) {
    api = connectWithToken(token)
    eventsVersion = null
    set({ appState: 'loading', authProblem: null, connectionProblem: null })
    poller.wake()
  },

  setStatusFilter(status) {
    applyFilters({ ...get().filters, status })
  },

  setDestinationFilter(destination) {
    applyFilters({ ...get().filters, destination })
  },

  setSearchText(text) {
    set({ searchText: text })
    if (searchTimer !== null) clearTimeout(searchTimer)
    searchTimer = setTimeout(() => {
      searchTimer = null
      applyFilters({ ...get().filters, search: text.trim() })
    }, SEARCH_DEBOUNCE_MS)
  },

  setReceivedFilter(received) {
    applyFilters({ ...get().filters, received })
  },

  showRequestEvents(attemptId) {
    if (attemptId !== null) clearSearchText()
    applyFilters(attemptId === null ? { ...get().filters, attemptId } : { ...NO_FILTERS, attemptId })
  },

  clearFilters() {
    clearSearchText()
    applyFilters(NO_FILTERS)
  },

  async loadMore() {
    const { nextBeforeId, filters, loadingMore } = get()
    if (!api || nextBeforeId === null || loadingMore) return
    set({ loadingMore: true })
    try {
      const page = await api.listEvents({ ...toQuery(filters), beforeId: nextBeforeId, limit: PAGE_SIZE })
      const current = get()
      if (current.filters !== filters || eventsFetchedWith !== filters) return
      const oldestShown = current.events.at(-1)?.id ?? Number.POSITIVE_INFINITY
      set({
        events: [...current.events, ...page.events.filter((event) => event.id < oldestShown)],
        nextBeforeId: page.nextBeforeId,
        searchedBackTo: page.searchedBackTo ?? null
      })
    } catch (error) {
      reportActionFailure('Loading more events', error)
    } finally {
      set({ loadingMore: false })
    }
  },

  select(id) {
    if (id === get().selectedId) return
    set({ selectedId: id, detail: null, detailState: id === null ? 'none' : 'loading' })
    detailVersion = null
    if (id !== null) void refreshDetail(get().stats?.version ?? null)
  },

  moveSelection(offset) {
    const { events, selectedId } = get()
    const next = movedSelection(events, selectedId, offset)
    if (next !== null) get().select(next)
  },

  async pauseDestination(id) {
    await runAction(`Pausing ${id}`, (client) => client.pauseDestination({ id }))
  },

  async resumeDestination(id) {
    await runAction(`Resuming ${id}`, (client) => client.resumeDestination({ id }))
  },

  setApiKey(id, apiKey) {
    const what = apiKey === null ? `Removing the key of ${id}` : `Saving the key of ${id}`
    return runAction(what, (client) => client.setApiKey({ id, apiKey }))
  },

  async syncNow(id) {
    await runAction(id === undefined ? 'Sync all' : `Sync of ${id}`, async (client) => {
      const notice = syncNotice(await client.syncNow(id === undefined ? {} : { id }), id === undefined)
      if (notice !== null) set({ notice })
    })
  },

  async loadIngestGuides() {
    let guides: IngestGuide[] | null = null
    await runAction('Loading the ingest examples', async (client) => {
      guides = await client.getIngestGuides({})
    })
    return guides
  },

  loadActivity(range) {
    if (!api) return Promise.reject(new Error('Not connected to the collector yet'))
    return api.getActivity({ range })
  },

  client: () => api,

  showView(view) {
    if (view === get().view) return
    set({ view })
    rejectionsVersion = null
    poller.wake()
  },

  selectRejection(id) {
    set({ selectedRejectionId: id })
  },

  moveRejectionSelection(offset) {
    const { rejections, selectedRejectionId } = get()
    set({ selectedRejectionId: movedSelection(rejections, selectedRejectionId, offset) })
  },

  async clearRejections() {
    await runAction('Clearing the rejected requests', (client) => client.clearRejections({}))
  },

  async exportToFile(format) {
    const query = toQuery(get().filters)
    set({ exportProgress: { rows: 0, total: null } })
    const stopFollowing = followExportProgress((progress) => set({ exportProgress: progress }))
    try {
      await runAction('Export', async (client) => {
        const file = await client.exportEventsToFile({ query, format })
        if (file) set({ notice: `Exported ${countOf(file.rows)} to ${file.path}` })
      })
    } finally {
      stopFollowing()
      set({ exportProgress: null })
    }
  },

  toggleChecked(id) {
    const { checkedIds } = get()
    set({ checkedIds: checkedIds.includes(id) ? checkedIds.filter((c) => c !== id) : [...checkedIds, id] })
  },

  checkAll(checked) {
    set({ checkedIds: checked ? get().events.map((event) => event.id) : [] })
  },

  async editPayload(id, payload) {
    const client = api
    if (!client) return { ok: false, message: 'Not connected to the collector', problems: [] }
    try {
      const detail = await client.editPayload({ id, payload })
      if (get().selectedId === id) set({ detail, detailState: 'loaded' })
      poller.wake()
      return { ok: true }
    } catch (error) {
      if (isUnauthorized(error)) askForToken(authProblemOf(error))
      return { ok: false, message: describeError(error), problems: problemsIn(error) }
    }
  },

  async resendEvents(selection) {
    await runBulk('Resend', 'resent', 'only failed or discarded events are resent', (client) =>
      client.resendEvents(selection)
    )
  },

  async discardEvents(ids) {
    await runBulk('Discard', 'discarded', 'only waiting or failed events are discarded', (client) =>
      client.discardEvents({ ids })
    )
  },

  previewUpstreamRequest: (id, revealKey) =>
    readFrom('Copy as curl', (client) => client.previewUpstreamRequest({ id, revealKey })),

  previewIngestRequest: (id) => readFrom('Copy as curl', (client) => client.previewIngestRequest({ id })),

  showError(message) {
    set({ banner: message })
  },

  dismissBanner() {
    set({ banner: null })
  },

  dismissNotice() {
    set({ notice: null })
  }
}))

const readState = useOutpost.getState
const writeState = useOutpost.setState

/** One poll: stats always; the event list and the open event only when the outbox changed. */
async function pollOnce(): Promise<void> {
  const client = api
  if (!client) return
  try {
    const stats = await client.getStats({})
    if (client !== api) return
    writeState({ stats })
    if (stats.version !== eventsVersion || !readState().eventsLoaded) {
      if (await fetchEvents(client, 'refresh')) eventsVersion = stats.version
      if (performance.now() - countedAt >= COUNT_INTERVAL_MS) void refreshCount(client)
    }
    if (readState().selectedId !== null && stats.version !== detailVersion) void refreshDetail(stats.version)
    const rejections = `${stats.rejections.count}:${stats.rejections.lastId}`
    if (readState().view === 'rejected' && rejections !== rejectionsVersion) {
      await refreshRejections(client, rejections)
    }
    if (client !== api) return
    writeState({ appState: readState().eventsLoaded ? 'ready' : 'loading', connectionProblem: null })
  } catch (error) {
    if (client === api) reportPollFailure(error)
  }
}

/**
 * Reads the newest page of events. 'refresh' keeps pages loaded with "Load more" (re-reading as
 * many rows as are shown, up to the API's page cap); 'reset' starts over for new filters.
 * Returns false when a newer request made this answer obsolete.
 */
async function fetchEvents(client: OutpostApi, mode: 'refresh' | 'reset'): Promise<boolean> {
  const request = ++eventsRequest
  const { filters, events } = readState()
  const sameRows = mode === 'refresh' && eventsFetchedWith === filters
  const limit = sameRows ? Math.min(MAX_PAGE_SIZE, Math.max(PAGE_SIZE, events.length)) : PAGE_SIZE
  const page = await client.listEvents({ ...toQuery(filters), limit })
  if (request !== eventsRequest || client !== api) return false
  const current = readState()
  const merged = sameRows && eventsFetchedWith === current.filters ? keepOlderRows(page, current) : page
  eventsFetchedWith = filters
  // Rows kept from "Load more" keep the place that page stopped at.
  const searchedBackTo = merged === page ? (page.searchedBackTo ?? null) : current.searchedBackTo
  writeState({ events: merged.events, nextBeforeId: merged.nextBeforeId, searchedBackTo, eventsLoaded: true })
  return true
}

/** Reads how many events the filters match, through the collector's reader (never the ingest thread). */
async function refreshCount(client: OutpostApi): Promise<void> {
  const request = ++countRequest
  const { filters } = readState()
  countedAt = performance.now()
  try {
    const count = await client.countEvents(toQuery(filters))
    if (request === countRequest && client === api && readState().filters === filters) writeState({ count })
  } catch (error) {
    if (request === countRequest) reportActionFailure('Counting the events', error)
  }
}

/** Rows older than the fresh page that were loaded with "Load more" stay, so the list does not shrink. */
function keepOlderRows(page: EventPage, current: OutpostState): EventPage {
  const oldestFresh = page.events.at(-1)?.id
  if (page.nextBeforeId === null || oldestFresh === undefined) return page
  const older = current.events.filter((event) => event.id < oldestFresh)
  if (older.length === 0) return page
  return { events: [...page.events, ...older], nextBeforeId: current.nextBeforeId }
}

/** The id `offset` rows away from the selected one (the first row when none is selected). */
function movedSelection(rows: { id: number }[], selectedId: number | null, offset: 1 | -1): number | null {
  if (rows.length === 0) return null
  const index = rows.findIndex((row) => row.id === selectedId)
  const nextIndex = index === -1 ? 0 : Math.min(rows.length - 1, Math.max(0, index + offset))
  return rows[nextIndex]?.id ?? null
}

async function refreshRejections(client: OutpostApi, version: string): Promise<void> {
  const request = ++rejectionsRequest
  const rejections = await client.listRejections({})
  if (request !== rejectionsRequest || client !== api) return
  rejectionsVersion = version
  const { selectedRejectionId } = readState()
  const stillThere = rejections.some((rejection) => rejection.id === selectedRejectionId)
  writeState({ rejections, selectedRejectionId: stillThere ? selectedRejectionId : null })
}

async function refreshDetail(version: number | null): Promise<void> {
  const client = api
  const id = readState().selectedId
  if (!client || id === null) return
  const request = ++detailRequest
  try {
    const detail = await client.getEvent({ id })
    if (request !== detailRequest || readState().selectedId !== id) return
    detailVersion = version
    writeState({ detail, detailState: detail ? 'loaded' : 'missing' })
  } catch (error) {
    if (request === detailRequest) reportActionFailure(`Loading event #${id}`, error)
  }
}

/** Empties the search box, and forgets a search still waiting for its pause in typing. */
function clearSearchText(): void {
  if (searchTimer !== null) clearTimeout(searchTimer)
  searchTimer = null
  writeState({ searchText: '' })
}

function applyFilters(next: EventFilters): void {
  const current = readState().filters
  if (
    next.status === current.status &&
    next.destination === current.destination &&
    next.search === current.search &&
    next.attemptId === current.attemptId &&
    JSON.stringify(next.received) === JSON.stringify(current.received)
  )
    return
  // Ticked events the new filters hide would be acted on unseen.
  writeState({ filters: next, checkedIds: [], count: null })
  const client = api
  if (!client) return
  fetchEvents(client, 'reset').catch((error: unknown) => reportActionFailure('Loading events', error))
  void refreshCount(client)
}

const countOf = (n: number) => `${n} ${n === 1 ? 'event' : 'events'}`

/** A datetime-local value (local time, to the minute) as an instant; null when empty or not a time. */
function localTime(value: string): number | null {
  const ms = value === '' ? Number.NaN : new Date(value).getTime()
  return Number.isNaN(ms) ? null : ms
}

/** The receipt times of a ReceivedFilter, as the admin API takes them; `now` for the last minutes. */
function receivedRange(
  received: ReceivedFilter,
  now: number
): Pick<EventQuery, 'receivedFrom' | 'receivedTo'> {
  if (received.kind === 'last')
    return { receivedFrom: new Date(now - received.minutes * 60_000).toISOString() }
  if (received.kind === 'any') return {}
  const from = localTime(received.from)
  const to = localTime(received.to)
  return {
    ...(from === null ? {} : { receivedFrom: new Date(from).toISOString() }),
    // The whole minute picked: its last millisecond included.
    ...(to === null ? {} : { receivedTo: new Date(to + 59_999).toISOString() })
  }
}

export function toQuery(filters: EventFilters, now = Date.now()): EventQuery {
  const query: EventQuery = receivedRange(filters.received, now)
  if (filters.status) query.status = filters.status
  if (filters.destination) query.destination = filters.destination
  if (filters.search) query.search = filters.search
  if (filters.attemptId !== null) query.attemptId = filters.attemptId
  return query
}

/** Runs a person's action; a failure goes to the banner. True when it succeeded. */
async function runAction(what: string, action: (client: OutpostApi) => Promise<void>): Promise<boolean> {
  const client = api
  if (!client) return false
  try {
    await action(client)
    return true
  } catch (error) {
    reportActionFailure(what, error)
    return false
  } finally {
    // Show the effect now rather than at the next tick.
    poller.wake()
  }
}

/** A read a person asked for: its value, or null with the failure in the banner. */
async function readFrom<T>(what: string, read: (client: OutpostApi) => Promise<T>): Promise<T | null> {
  const client = api
  if (!client) return null
  try {
    return await read(client)
  } catch (error) {
    reportActionFailure(what, error)
    return null
  }
}

/** A bulk action: its outcome in words (what was skipped, and why), the ticks cleared. */
async function runBulk(
  what: string,
  done: string,
  rule: string,
  action: (client: OutpostApi) => Promise<BulkOutcome>
): Promise<void> {
  await runAction(what, async (client) => {
    const { changed, skipped } = await action(client)
    const notice = skipped.length
      ? `${countOf(changed.length)} ${done}; ${skipped.length} skipped: ${rule}.`
      : `${countOf(changed.length)} ${done}.`
    writeState({ notice, checkedIds: [] })
  })
}

function problemsIn(error: unknown): RejectedField[] {
  const problems = (error as { problems?: unknown }).problems
  return Array.isArray(problems) ? (problems as RejectedField[]) : []
}

function askForToken(problem: string | null): void {
  api = null
  writeState({ appState: 'auth', authProblem: problem, connectionProblem: null })
}

function reportPollFailure(error: unknown): void {
  if (isUnauthorized(error)) {
    askForToken(authProblemOf(error))
    return
  }
  const message = describeError(error)
  writeState({
    appState: 'error',
    connectionProblem: isRefusedByCollector(error)
      ? `The collector answered with an error: ${message}. Retrying…`
      : `Cannot reach the collector (${message}). Retrying…`
  })
}

function reportActionFailure(what: string, error: unknown): void {
  if (isUnauthorized(error)) {
    askForToken(authProblemOf(error))
    return
  }
  writeState({ banner: `${what} failed: ${describeError(error)}` })
}
