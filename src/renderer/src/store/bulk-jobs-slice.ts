import type { OutpostApi } from '@shared/api'
import { describeError } from '@shared/api-error'
import type { BulkAction, BulkActionProgress, BulkPreview, EventFilter, UndoOutcome } from '@shared/model'
import { toQuery } from './filters'
import type { SliceCreator } from './types'

/** How often a running bulk action's progress is read. */
const PROGRESS_POLL_MS = 300

/** What the confirmation dialog holds: the count being read, the count to confirm, or a refusal. */
export type BulkConfirmation =
  | { phase: 'counting'; action: BulkAction }
  | { phase: 'ready'; preview: BulkPreview; filter: EventFilter }
  | { phase: 'refused'; action: BulkAction; message: string }

/** What the notice under the filters says: a run's progress, its outcome, an undo's outcome. */
export type BulkRun =
  | { phase: 'running'; progress: BulkActionProgress }
  | { phase: 'finished'; progress: BulkActionProgress }
  | { phase: 'undone'; outcome: UndoOutcome }
  | { phase: 'failed'; message: string }

/**
 * Resend and discard of every event the filters match (not only the rows loaded): the preview to
 * confirm, the run followed to its end, and a discard's undo while it may be. Kept in the store,
 * not in the filter bar, so a run and its Undo outlive a visit to another view.
 */
export interface BulkJobsSlice {
  bulkConfirmation: BulkConfirmation | null
  bulkRun: BulkRun | null
  /** Counts what `action` would take of the filters' matches, for the person to confirm. */
  previewBulk(action: BulkAction): Promise<void>
  /** The confirmation closed without acting: a preview still being read is dropped. */
  cancelBulk(): void
  /** Runs the confirmed action on the filter as it was previewed, following it to its end. */
  startBulk(preview: BulkPreview, filter: EventFilter): Promise<void>
  undoBulk(): Promise<void>
  dismissBulkRun(): void
}

export const createBulkJobsSlice: SliceCreator<BulkJobsSlice> = () => (set, get) => {
  /** Only the newest preview may write its answer, and only while its confirmation is open. */
  let previewRequest = 0
  /** Hides Undo when its time is over, without waiting for another change. */
  let undoExpiry: ReturnType<typeof setTimeout> | null = null

  const setRun = (run: BulkRun | null): void => {
    if (undoExpiry !== null) clearTimeout(undoExpiry)
    undoExpiry = null
    set({ bulkRun: run })
    if (run?.phase !== 'finished' || run.progress.undoableUntil === null) return
    const finished: Extract<BulkRun, { phase: 'finished' }> = run
    const expire = (): void => {
      undoExpiry = null
      if (get().bulkRun !== finished) return
      set({ bulkRun: { ...finished, progress: { ...finished.progress, undoableUntil: null } } })
    }
    undoExpiry = setTimeout(expire, Math.max(0, Date.parse(run.progress.undoableUntil) - Date.now()))
  }

  /** Polls a bulk action until it ends, showing each step. */
  const follow = async (client: OutpostApi, started: BulkActionProgress): Promise<BulkActionProgress> => {
    let progress = started
    while (progress.state === 'running') {
      await new Promise((resolve) => setTimeout(resolve, PROGRESS_POLL_MS))
      progress = await client.getBulkAction({ id: progress.id })
      setRun({ phase: 'running', progress })
    }
    return progress
  }

  return {
    bulkConfirmation: null,
    bulkRun: null,

    async previewBulk(action) {
      const client = get().client()
      if (!client || get().bulkRun?.phase === 'running') return
      const request = ++previewRequest
      set({ bulkConfirmation: { phase: 'counting', action } })
      // Read once: the action takes the events the person confirmed, even of a "last hour" that moves on.
      const filter = toQuery(get().filters)
      let confirmation: BulkConfirmation
      try {
        confirmation = { phase: 'ready', preview: await client.previewBulkAction({ action, filter }), filter }
      } catch (error) {
        confirmation = { phase: 'refused', action, message: describeError(error) }
      }
      if (request === previewRequest) set({ bulkConfirmation: confirmation })
    },

    cancelBulk() {
      previewRequest++
      set({ bulkConfirmation: null })
    },

    async startBulk(preview, filter) {
      get().cancelBulk()
      const client = get().client()
      if (!client) return
      try {
        const started = await client.startBulkAction({
          action: preview.action,
          filter,
          throughId: preview.throughId,
          expected: preview.count
        })
        setRun({ phase: 'running', progress: started })
        setRun({ phase: 'finished', progress: await follow(client, started) })
      } catch (error) {
        setRun({ phase: 'failed', message: describeError(error) })
      } finally {
        get().wake()
      }
    },

    async undoBulk() {
      const client = get().client()
      const run = get().bulkRun
      if (!client || run?.phase !== 'finished') return
      try {
        setRun({ phase: 'undone', outcome: await client.undoBulkDiscard({ id: run.progress.id }) })
      } catch (error) {
        setRun({ phase: 'failed', message: describeError(error) })
      } finally {
        get().wake()
      }
    },

    dismissBulkRun() {
      setRun(null)
    }
  }
}
