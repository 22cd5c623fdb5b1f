import type { OutpostApi } from '@shared/api'
import type { EventCount, EventPage, EventStatus, EventSummary } from '@shared/model'
import {
  NO_FILTERS,
  NOTHING_TYPED,
  sameFilters,
  toQuery,
  type EventFilters,
  type ReceivedFilter,
  type TypedFilter
} from './filters'
import type { SliceCreator } from './types'

/** The count is read again at most this often while the outbox changes (a search's takes up to 250 ms). */
const COUNT_INTERVAL_MS = 3000
/** How long typing pauses before a typed filter applies. */
const TYPING_PAUSE_MS = 250
export const PAGE_SIZE = 200
/** The admin API's largest page; a refresh re-reads at most this many rows. */
const MAX_PAGE_SIZE = 1000

/** The event list: its filters, its pages ("Load more") and how many events the filters match. */
export interface EventsSlice {
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
  /** What is typed in the search, name and user fields; each becomes its filter after a pause in typing. */
  typed: Record<TypedFilter, string>
  /** The event names stored, offered by the name field; read when it is about to be used. */
  eventNames: string[]
  setStatusFilter(status: EventStatus | ''): void
  setDestinationFilter(destination: string): void
  /** Text typed in the search (a part, ignoring case), name or user (each exact) field. */
  typeFilter(field: TypedFilter, text: string): void
  loadEventNames(): Promise<void>
  setReceivedFilter(received: ReceivedFilter): void
  /** Lists the events of one upstream request, whatever the other filters were. */
  showRequestEvents(attemptId: number | null): void
  clearFilters(): void
  loadMore(): Promise<void>
  /**
   * Called by the poll: re-reads the list when the outbox version (or the API) changed since it was
   * last read, and the count when it is older than its interval. Throws what the read threw.
   */
  refreshEventsAt(client: OutpostApi, version: number): Promise<void>
}

export const createEventsSlice: SliceCreator<EventsSlice> = (deps) => (set, get) => {
  /** The API and outbox version the list was last read at. */
  let readWith: OutpostApi | null = null
  let readAtVersion: number | null = null
  /** Which filters the rows in the store were fetched with. */
  let fetchedWith: EventFilters | null = null
  /** Only the newest request of each kind may write its answer. */
  let eventsRequest = 0
  let countRequest = 0
  /** When the count was last read (deps.now()). */
  let countedAt = Number.NEGATIVE_INFINITY
  /** The typed fields waiting for their pause in typing. */
  const typingTimers = new Map<TypedFilter, ReturnType<typeof setTimeout>>()

  /** Rows older than the fresh page that were loaded with "Load more" stay, so the list does not shrink. */
  const keepOlderRows = (page: EventPage): EventPage => {
    const oldestFresh = page.events.at(-1)?.id
    if (page.nextBeforeId === null || oldestFresh === undefined) return page
    const older = get().events.filter((event) => event.id < oldestFresh)
    if (older.length === 0) return page
    return { events: [...page.events, ...older], nextBeforeId: get().nextBeforeId }
  }

  /**
   * Reads the newest page of events. 'refresh' keeps pages loaded with "Load more" (re-reading as
   * many rows as are shown, up to the API's page cap); 'reset' starts over for new filters.
   * Returns false when a newer request made this answer obsolete.
   */
  const fetchEvents = async (client: OutpostApi, mode: 'refresh' | 'reset'): Promise<boolean> => {
    const request = ++eventsRequest
    const { filters, events } = get()
    const sameRows = mode === 'refresh' && fetchedWith === filters
    const limit = sameRows ? Math.min(MAX_PAGE_SIZE, Math.max(PAGE_SIZE, events.length)) : PAGE_SIZE
    const page = await client.listEvents({ ...toQuery(filters), limit })
    if (request !== eventsRequest || client !== get().client()) return false
    const merged = sameRows && fetchedWith === get().filters ? keepOlderRows(page) : page
    // Rows kept from "Load more" keep the place that page stopped at.
    const searchedBackTo = merged === page ? (page.searchedBackTo ?? null) : get().searchedBackTo
    fetchedWith = filters
    set({ events: merged.events, nextBeforeId: merged.nextBeforeId, searchedBackTo, eventsLoaded: true })
    return true
  }

  /** Reads how many events the filters match, through the collector's reader (never the ingest thread). */
  const refreshCount = async (client: OutpostApi): Promise<void> => {
    const request = ++countRequest
    const { filters } = get()
    countedAt = deps.now()
    try {
      const count = await client.countEvents(toQuery(filters))
      if (request === countRequest && client === get().client() && get().filters === filters) set({ count })
    } catch (error) {
      if (request === countRequest) get().reportFailure('Counting the events', error)
    }
  }

  const applyFilters = (next: EventFilters): void => {
    if (sameFilters(next, get().filters)) return
    // Ticked events the new filters hide would be acted on unseen.
    set({ filters: next, checkedIds: [], count: null })
    const client = get().client()
    if (!client) return
    fetchEvents(client, 'reset').catch((error: unknown) => get().reportFailure('Loading events', error))
    void refreshCount(client)
  }

  /** Empties the typed fields, and forgets what still waits for its pause in typing. */
  const clearTypedText = (): void => {
    for (const timer of typingTimers.values()) clearTimeout(timer)
    typingTimers.clear()
    set({ typed: NOTHING_TYPED })
  }

  return {
    events: [],
    nextBeforeId: null,
    searchedBackTo: null,
    count: null,
    eventsLoaded: false,
    loadingMore: false,
    filters: NO_FILTERS,
    typed: NOTHING_TYPED,
    eventNames: [],

    setStatusFilter(status) {
      applyFilters({ ...get().filters, status })
    },

    setDestinationFilter(destination) {
      applyFilters({ ...get().filters, destination })
    },

    typeFilter(field, text) {
      set({ typed: { ...get().typed, [field]: text } })
      clearTimeout(typingTimers.get(field))
      typingTimers.set(
        field,
        setTimeout(() => {
          typingTimers.delete(field)
          // A search ignores surrounding spaces; a name or user key is taken exactly as typed.
          applyFilters({ ...get().filters, [field]: field === 'search' ? text.trim() : text })
        }, TYPING_PAUSE_MS)
      )
    },

    async loadEventNames() {
      const names = await get().readFrom('Reading the event names', (client) => client.listEventNames({}))
      if (names !== null) set({ eventNames: names })
    },

    setReceivedFilter(received) {
      applyFilters({ ...get().filters, received })
    },

    showRequestEvents(attemptId) {
      if (attemptId !== null) clearTypedText()
      applyFilters(attemptId === null ? { ...get().filters, attemptId } : { ...NO_FILTERS, attemptId })
    },

    clearFilters() {
      clearTypedText()
      applyFilters(NO_FILTERS)
    },

    async loadMore() {
      const client = get().client()
      const { nextBeforeId, filters, loadingMore } = get()
      if (!client || nextBeforeId === null || loadingMore) return
      set({ loadingMore: true })
      try {
        const page = await client.listEvents({
          ...toQuery(filters),
          beforeId: nextBeforeId,
          limit: PAGE_SIZE
        })
        const current = get()
        if (current.filters !== filters || fetchedWith !== filters) return
        const oldestShown = current.events.at(-1)?.id ?? Number.POSITIVE_INFINITY
        set({
          events: [...current.events, ...page.events.filter((event) => event.id < oldestShown)],
          nextBeforeId: page.nextBeforeId,
          searchedBackTo: page.searchedBackTo ?? null
        })
      } catch (error) {
        get().reportFailure('Loading more events', error)
      } finally {
        set({ loadingMore: false })
      }
    },

    async refreshEventsAt(client, version) {
      if (client === readWith && version === readAtVersion && get().eventsLoaded) return
      if (await fetchEvents(client, 'refresh')) {
        readWith = client
        readAtVersion = version
      }
      if (deps.now() - countedAt >= COUNT_INTERVAL_MS) void refreshCount(client)
    }
  }
}
