import type { StateCreator } from 'zustand'
import type { OutpostApi } from '@shared/api'
import type { ExportProgress } from '@shared/model'
import type { BulkJobsSlice } from './bulk-jobs-slice'
import type { ConnectionSlice } from './connection-slice'
import type { EventsSlice } from './events-slice'
import type { NoticesSlice } from './notices-slice'
import type { RejectionsSlice } from './rejections-slice'
import type { SelectionSlice } from './selection-slice'
import type { TickedSlice } from './ticked-slice'

/** The one store the components read with `useOutpost(selector)`: every slice's state and actions. */
export type OutpostStore = ConnectionSlice &
  EventsSlice &
  SelectionSlice &
  RejectionsSlice &
  NoticesSlice &
  TickedSlice &
  BulkJobsSlice

/** What a store needs from its surroundings; the window's transports in the app, fakes in tests. */
export interface StoreDeps {
  /** The API to use at start (a session cookie, if the browser has one, is tried by the first call). */
  connect(): OutpostApi
  /** The API signed in with a token the person typed. */
  connectWithToken(token: string): OutpostApi
  /** Follows the desktop app's export to a file; returns the function that stops following. */
  followExportProgress(listener: (progress: ExportProgress) => void): () => void
  /** A monotonic clock in milliseconds (performance.now()). */
  now(): number
}

/**
 * One slice of the store: its own state and actions, reading and writing the whole store (a slice
 * calls another's actions through `get()`). Bookkeeping no component renders (request counters,
 * the versions last read) lives in the slice creator's closure, so each store instance has its own.
 */
export type SliceCreator<Slice> = (deps: StoreDeps) => StateCreator<OutpostStore, [], [], Slice>
