import { connect, connectWithToken, followExportProgress } from '../api'
import { createOutpostStore } from './create-store'

export type { BulkConfirmation, BulkRun } from './bulk-jobs-slice'
export type { AppState } from './connection-slice'
export type { DetailState, EditResult } from './selection-slice'
export type { View } from './rejections-slice'
export { isFiltered, toQuery, type EventFilters, type ReceivedFilter, type TypedFilter } from './filters'
export type { OutpostStore } from './types'

/** The window's store, on the transport it has (the preload bridge or the console's HTTP). */
export const useOutpost = createOutpostStore({
  connect,
  connectWithToken,
  followExportProgress,
  now: () => performance.now()
})
