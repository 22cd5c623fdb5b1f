import { authProblemOf, describeError, isUnauthorized } from '@shared/api-error'
import type { EventDetail, RejectedField, RequestPreview, UpstreamRequestPreview } from '@shared/model'
import { movedSelection } from './rows'
import type { SliceCreator } from './types'

export type DetailState = 'none' | 'loading' | 'loaded' | 'missing'

export type EditResult = { ok: true } | { ok: false; message: string; problems: RejectedField[] }

/** The selected event and its detail, re-read whenever the outbox changes. */
export interface SelectionSlice {
  selectedId: number | null
  detail: EventDetail | null
  detailState: DetailState
  select(id: number | null): void
  moveSelection(offset: 1 | -1): void
  /** Saves an edited payload; on refusal, the vendor's words and the fields they name. */
  /** `payload` is JSON text, sent as the person wrote it. */
  editPayload(id: number, payload: string): Promise<EditResult>
  /** The request delivery sends upstream for an event (key masked unless revealed); null when it failed (said in the banner). */
  previewUpstreamRequest(id: number, revealKey: boolean): Promise<UpstreamRequestPreview | null>
  /** The ingest request an app sends for an event, reconstructed; null when it failed. */
  previewIngestRequest(id: number): Promise<RequestPreview | null>
  /** Called by the poll: re-reads the open event when the outbox version changed since it was read. */
  refreshDetailAt(version: number): void
}

function problemsIn(error: unknown): RejectedField[] {
  const problems = (error as { problems?: unknown }).problems
  return Array.isArray(problems) ? (problems as RejectedField[]) : []
}

export const createSelectionSlice: SliceCreator<SelectionSlice> = () => (set, get) => {
  /** Outbox version the detail was last read at; null when it must be read. */
  let readAtVersion: number | null = null
  /** Only the newest read may write its answer. */
  let detailRequest = 0

  const refreshDetail = async (version: number | null): Promise<void> => {
    const client = get().client()
    const id = get().selectedId
    if (!client || id === null) return
    const request = ++detailRequest
    try {
      const detail = await client.getEvent({ id })
      if (request !== detailRequest || get().selectedId !== id) return
      readAtVersion = version
      set({ detail, detailState: detail ? 'loaded' : 'missing' })
    } catch (error) {
      if (request === detailRequest) get().reportFailure(`Loading event #${id}`, error)
    }
  }

  return {
    selectedId: null,
    detail: null,
    detailState: 'none',

    select(id) {
      if (id === get().selectedId) return
      set({ selectedId: id, detail: null, detailState: id === null ? 'none' : 'loading' })
      readAtVersion = null
      if (id !== null) void refreshDetail(get().stats?.version ?? null)
    },

    moveSelection(offset) {
      const { events, selectedId } = get()
      const next = movedSelection(events, selectedId, offset)
      if (next !== null) get().select(next)
    },

    async editPayload(id, payload) {
      const client = get().client()
      if (!client) return { ok: false, message: 'Not connected to the collector', problems: [] }
      try {
        const detail = await client.editPayload({ id, payload })
        if (get().selectedId === id) set({ detail, detailState: 'loaded' })
        get().wake()
        return { ok: true }
      } catch (error) {
        if (isUnauthorized(error)) get().askForToken(authProblemOf(error))
        return { ok: false, message: describeError(error), problems: problemsIn(error) }
      }
    },

    previewUpstreamRequest: (id, revealKey) =>
      get().readFrom('Copy as curl', (client) => client.previewUpstreamRequest({ id, revealKey })),

    previewIngestRequest: (id) =>
      get().readFrom('Copy as curl', (client) => client.previewIngestRequest({ id })),

    refreshDetailAt(version) {
      if (get().selectedId !== null && version !== readAtVersion) void refreshDetail(version)
    }
  }
}
