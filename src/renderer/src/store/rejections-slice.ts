import type { OutpostApi } from '@shared/api'
import type { Rejection, Stats } from '@shared/model'
import { movedSelection } from './rows'
import type { SliceCreator } from './types'

/** The stored events, the requests Outpost refused (nothing of which was stored), or each destination's activity. */
export type View = 'events' | 'rejected' | 'activity'

/** Which view is shown, and the rejected requests, read only while their view is open. */
export interface RejectionsSlice {
  view: View
  /** Newest first; read while the rejected view is open. */
  rejections: Rejection[]
  selectedRejectionId: number | null
  showView(view: View): void
  selectRejection(id: number | null): void
  moveRejectionSelection(offset: 1 | -1): void
  clearRejections(): Promise<void>
  /** Called by the poll: re-reads the rejections when their view is open and the log changed. */
  refreshRejectionsAt(client: OutpostApi, stats: Stats): Promise<void>
}

export const createRejectionsSlice: SliceCreator<RejectionsSlice> = () => (set, get) => {
  /** The rejection log's `count:lastId` when the rejected view was last read; null when it must be read. */
  let readAtVersion: string | null = null
  /** Only the newest read may write its answer. */
  let rejectionsRequest = 0

  return {
    view: 'events',
    rejections: [],
    selectedRejectionId: null,

    showView(view) {
      if (view === get().view) return
      set({ view })
      readAtVersion = null
      get().wake()
    },

    selectRejection(id) {
      set({ selectedRejectionId: id })
    },

    moveRejectionSelection(offset) {
      const { rejections, selectedRejectionId } = get()
      set({ selectedRejectionId: movedSelection(rejections, selectedRejectionId, offset) })
    },

    async clearRejections() {
      await get().runAction('Clearing the rejected requests', (client) => client.clearRejections({}))
    },

    async refreshRejectionsAt(client, stats) {
      const version = `${stats.rejections.count}:${stats.rejections.lastId}`
      if (get().view !== 'rejected' || version === readAtVersion) return
      const request = ++rejectionsRequest
      const rejections = await client.listRejections({})
      if (request !== rejectionsRequest || client !== get().client()) return
      readAtVersion = version
      const { selectedRejectionId } = get()
      const stillThere = rejections.some((rejection) => rejection.id === selectedRejectionId)
      set({ rejections, selectedRejectionId: stillThere ? selectedRejectionId : null })
    }
  }
}
