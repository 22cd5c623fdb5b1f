import type { OutpostApi, ExportFormat } from '@shared/api'
import type { BulkOutcome, ExportProgress, ResendSelection } from '@shared/model'
import { toQuery } from './filters'
import { countOf } from './rows'
import type { SliceCreator } from './types'

/** Events ticked in the list, the bulk actions on them, and the desktop app's export to a file. */
export interface TickedSlice {
  /** Events ticked in the list for a bulk resend or discard. */
  checkedIds: number[]
  /** How far the desktop app's export to a file has come; null when none runs. */
  exportProgress: ExportProgress | null
  toggleChecked(id: number): void
  /** Ticks every event shown, or none. */
  checkAll(checked: boolean): void
  resendEvents(selection: ResendSelection): Promise<void>
  discardEvents(ids: number[]): Promise<void>
  /** Desktop app: main saves the events the filters match, with their payloads, where the person picks. */
  exportToFile(format: ExportFormat): Promise<void>
}

export const createTickedSlice: SliceCreator<TickedSlice> = (deps) => (set, get) => {
  /** A bulk action: its outcome in words (what was skipped, and why), the ticks cleared. */
  const runBulk = async (
    what: string,
    done: string,
    rule: string,
    action: (client: OutpostApi) => Promise<BulkOutcome>
  ): Promise<void> => {
    await get().runAction(what, async (client) => {
      const { changed, skipped } = await action(client)
      const notice = skipped.length
        ? `${countOf(changed.length)} ${done}; ${skipped.length} skipped: ${rule}.`
        : `${countOf(changed.length)} ${done}.`
      set({ notice, checkedIds: [] })
    })
  }

  return {
    checkedIds: [],
    exportProgress: null,

    toggleChecked(id) {
      const { checkedIds } = get()
      set({ checkedIds: checkedIds.includes(id) ? checkedIds.filter((c) => c !== id) : [...checkedIds, id] })
    },

    checkAll(checked) {
      set({ checkedIds: checked ? get().events.map((event) => event.id) : [] })
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

    async exportToFile(format) {
      const query = toQuery(get().filters)
      set({ exportProgress: { rows: 0, total: null } })
      const stopFollowing = deps.followExportProgress((progress) => set({ exportProgress: progress }))
      try {
        await get().runAction('Export', async (client) => {
          const file = await client.exportEventsToFile({ query, format })
          if (file) set({ notice: `Exported ${countOf(file.rows)} to ${file.path}` })
        })
      } finally {
        stopFollowing()
        set({ exportProgress: null })
      }
    }
  }
}
