import type { OutpostApi } from '@shared/api'
import { authProblemOf, describeError, isRefusedByCollector, isUnauthorized } from '@shared/api-error'
import type { Stats } from '@shared/model'
import { createPoller } from '../poller'
import type { SliceCreator } from './types'

export type AppState = 'loading' | 'ready' | 'auth' | 'error'

const POLL_INTERVAL_MS = 1000

/** The collector's API, sign-in and the poll that keeps every other slice current. */
export interface ConnectionSlice {
  appState: AppState
  /** Why the last poll failed; cleared by the next one that succeeds. */
  connectionProblem: string | null
  /** Shown on the token form, e.g. when a token was refused or a session ended. */
  authProblem: string | null
  stats: Stats | null
  /** Starts live updates; returns the function that stops them. */
  startLiveUpdates(): () => void
  submitToken(token: string): void
  /** The collector's API, for a component's own calls (bulk actions); null before connecting. */
  client(): OutpostApi | null
  /**
   * One poll: stats always; each slice then re-reads what the new outbox version made stale. Live
   * updates run it every second; tests call it directly.
   */
  poll(): Promise<void>
  /** Polls as soon as possible (after the poll in flight), to show an action's effect now. */
  wake(): void
  /** Drops the API and shows the token form with `problem`. */
  askForToken(problem: string | null): void
}

export const createConnectionSlice: SliceCreator<ConnectionSlice> = (deps) => (set, get) => {
  let api: OutpostApi | null = null
  let connected = false
  const poller = createPoller(() => get().poll(), POLL_INTERVAL_MS)

  const reportPollFailure = (error: unknown): void => {
    if (isUnauthorized(error)) {
      get().askForToken(authProblemOf(error))
      return
    }
    const message = describeError(error)
    set({
      appState: 'error',
      connectionProblem: isRefusedByCollector(error)
        ? `The collector answered with an error: ${message}. Retrying…`
        : `Cannot reach the collector (${message}). Retrying…`
    })
  }

  return {
    appState: 'loading',
    connectionProblem: null,
    authProblem: null,
    stats: null,

    startLiveUpdates() {
      if (!connected) {
        connected = true
        api = deps.connect()
      }
      poller.start()
      return () => poller.stop()
    },

    submitToken(token) {
      api = deps.connectWithToken(token)
      set({ appState: 'loading', authProblem: null, connectionProblem: null })
      poller.wake()
    },

    client: () => api,

    async poll() {
      const client = api
      if (!client) return
      try {
        const stats = await client.getStats({})
        if (client !== api) return
        set({ stats })
        await get().refreshEventsAt(client, stats.version)
        get().refreshDetailAt(stats.version)
        await get().refreshRejectionsAt(client, stats)
        if (client !== api) return
        set({ appState: get().eventsLoaded ? 'ready' : 'loading', connectionProblem: null })
      } catch (error) {
        if (client === api) reportPollFailure(error)
      }
    },

    wake() {
      poller.wake()
    },

    askForToken(problem) {
      api = null
      set({ appState: 'auth', authProblem: problem, connectionProblem: null })
    }
  }
}
