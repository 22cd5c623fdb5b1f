import type { Destination } from '../config'
import type { Settlement, Store } from '../store'
import type { BackoffOptions } from './backoff'
import { createNatsSender } from '../nats/sender'
import { createTransport } from './transport'
import { DestinationWorker, type AttemptOutcome, type WorkerState } from './worker'

export interface SyncOptions {
  timeoutMs: number
  /** Most requests in flight per destination (sync.concurrency). */
  concurrency: number
  backoff: BackoffOptions
  /** Probing a key the vendor refused: sync.authRetryBaseMs growing to sync.authRetryMaxMs. */
  authRetry: BackoffOptions
  now(): number
  onChange(): void
  /** Observes each answer once written: where its events went (the activity charts count them). */
  onSettled?(destination: string, status: Settlement['status'], events: number): void
  /** Observes each request that went upstream: its outcome and how long it took (the metrics). */
  onAttempted?(destination: string, outcome: AttemptOutcome, seconds: number): void
}

/** One delivery worker per destination. */
export function createSyncEngine(store: Store, destinations: Destination[], options: SyncOptions) {
  const transport = createTransport(options.timeoutMs)
  const workers = new Map(
    destinations.map((destination) => [
      destination.id,
      new DestinationWorker(destination, {
        store,
        transport,
        sender: destination.nats ? createNatsSender(destination) : undefined,
        ...options
      })
    ])
  )

  function worker(id: string): DestinationWorker {
    const found = workers.get(id)
    if (!found) throw new Error(`unknown destination ${id}`)
    return found
  }

  return {
    start: () => workers.forEach((w) => w.start()),
    wake: (ids: Iterable<string>) => {
      for (const id of ids) workers.get(id)?.wake()
    },
    waitForDevice: (id: string, provisionalId: string, timeoutMs: number) =>
      worker(id).waitForDevice(provisionalId, timeoutMs),
    state: (id: string): WorkerState => worker(id).state(),
    pause: (id: string) => worker(id).pause(),
    resume: (id: string) => worker(id).resume(),
    clearAuthHold: (id: string) => worker(id).clearAuthHold(),
    retryOffline: () => workers.forEach((w) => w.retryIfOffline()),
    syncNow: (id?: string) =>
      (id === undefined ? [...workers.values()] : [worker(id)]).forEach((w) => w.syncNow()),
    async stop(): Promise<void> {
      await Promise.all([...workers.values()].map((w) => w.stop()))
      await transport.close()
    }
  }
}

export type SyncEngine = ReturnType<typeof createSyncEngine>
