import { create } from 'zustand'
import { createBulkJobsSlice } from './bulk-jobs-slice'
import { createConnectionSlice } from './connection-slice'
import { createEventsSlice } from './events-slice'
import { createNoticesSlice } from './notices-slice'
import { createRejectionsSlice } from './rejections-slice'
import { createSelectionSlice } from './selection-slice'
import { createTickedSlice } from './ticked-slice'
import type { OutpostStore, StoreDeps } from './types'

/**
 * One store of every slice (zustand's slices pattern). Each call makes a fresh store with its own
 * bookkeeping, so tests create one per case with a fake API.
 */
export function createOutpostStore(deps: StoreDeps) {
  return create<OutpostStore>()((...store) => ({
    ...createConnectionSlice(deps)(...store),
    ...createEventsSlice(deps)(...store),
    ...createSelectionSlice(deps)(...store),
    ...createRejectionsSlice(deps)(...store),
    ...createNoticesSlice(deps)(...store),
    ...createTickedSlice(deps)(...store),
    ...createBulkJobsSlice(deps)(...store)
  }))
}
