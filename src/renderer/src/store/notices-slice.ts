import type { ActivityRange, ActivityReport } from '@shared/activity'
import type { OutpostApi } from '@shared/api'
import { authProblemOf, describeError, isUnauthorized } from '@shared/api-error'
import type { IngestGuide } from '@shared/model'
import { syncNotice } from '../sync-notice'
import type { SliceCreator } from './types'

/** A person's actions on destinations and the words that report them: the banner and the notice. */
export interface NoticesSlice {
  /** The last failed user action, until dismissed. */
  banner: string | null
  /** What the last action did, e.g. that some events were skipped. */
  notice: string | null
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
  showError(message: string): void
  dismissBanner(): void
  dismissNotice(): void
  /** Runs a person's action, then polls to show its effect; a failure goes to the banner. True when it succeeded. */
  runAction(what: string, action: (client: OutpostApi) => Promise<void>): Promise<boolean>
  /** A read a person asked for: its value, or null with the failure in the banner. */
  readFrom<T>(what: string, read: (client: OutpostApi) => Promise<T>): Promise<T | null>
  /** Puts a failed action in the banner, or asks for a token when the session ended. */
  reportFailure(what: string, error: unknown): void
}

export const createNoticesSlice: SliceCreator<NoticesSlice> = () => (set, get) => ({
  banner: null,
  notice: null,

  async pauseDestination(id) {
    await get().runAction(`Pausing ${id}`, (client) => client.pauseDestination({ id }))
  },

  async resumeDestination(id) {
    await get().runAction(`Resuming ${id}`, (client) => client.resumeDestination({ id }))
  },

  setApiKey(id, apiKey) {
    const what = apiKey === null ? `Removing the key of ${id}` : `Saving the key of ${id}`
    return get().runAction(what, (client) => client.setApiKey({ id, apiKey }))
  },

  async syncNow(id) {
    await get().runAction(id === undefined ? 'Sync all' : `Sync of ${id}`, async (client) => {
      const notice = syncNotice(await client.syncNow(id === undefined ? {} : { id }), id === undefined)
      if (notice !== null) set({ notice })
    })
  },

  loadIngestGuides: () =>
    get().readFrom('Loading the ingest examples', (client) => client.getIngestGuides({})),

  loadActivity(range) {
    const client = get().client()
    if (!client) return Promise.reject(new Error('Not connected to the collector yet'))
    return client.getActivity({ range })
  },

  showError(message) {
    set({ banner: message })
  },

  dismissBanner() {
    set({ banner: null })
  },

  dismissNotice() {
    set({ notice: null })
  },

  async runAction(what, action) {
    const client = get().client()
    if (!client) return false
    try {
      await action(client)
      return true
    } catch (error) {
      get().reportFailure(what, error)
      return false
    } finally {
      // Show the effect now rather than at the next tick.
      get().wake()
    }
  },

  async readFrom(what, read) {
    const client = get().client()
    if (!client) return null
    try {
      return await read(client)
    } catch (error) {
      get().reportFailure(what, error)
      return null
    }
  },

  reportFailure(what, error) {
    if (isUnauthorized(error)) {
      get().askForToken(authProblemOf(error))
      return
    }
    set({ banner: `${what} failed: ${describeError(error)}` })
  }
})
