import type { OutpostApi } from '../../src/shared/api'
import type { EventDetail, EventSummary, Rejection, Stats } from '../../src/shared/model'
import { createOutpostStore } from '../../src/renderer/src/store/create-store'

/**
 * An OutpostApi for the renderer store's unit tests: only the methods a test gives exist; any other
 * call fails the test, so a store that calls something unexpected is noticed.
 */
export function fakeApi(methods: Partial<OutpostApi>): OutpostApi {
  return new Proxy(methods, {
    get(target, name: string) {
      const method = target[name as keyof OutpostApi]
      if (method) return method
      return () => Promise.reject(new Error(`the fake API has no ${name}`))
    }
  }) as OutpostApi
}

/** A promise the test settles when it chooses: answers arriving in any order. */
export interface Deferred<T> {
  promise: Promise<T>
  resolve(value: T): void
  reject(error: unknown): void
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void
  let reject!: (error: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

/** A clock the test moves. */
export interface FakeClock {
  now: number
}

/**
 * A fresh store on `api`, signed in (its poller is not started: the test calls poll() itself), with
 * the clock the count's interval reads.
 */
export function storeOn(api: OutpostApi, clock: FakeClock = { now: 0 }) {
  const store = createOutpostStore({
    connect: () => api,
    // Each sign-in is a new client, as the console's is.
    connectWithToken: () => new Proxy(api, {}),
    followExportProgress: () => () => undefined,
    now: () => clock.now
  })
  store.getState().submitToken('test-token')
  return store
}

/** Lets every settled promise's callbacks run (the store's reads it does not await). */
export const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0))

export function statsAt(version: number, rejections = { count: 0, lastId: 0 }): Stats {
  return {
    counts: { queued: 0, sending: 0, retrying: 0, failed: 0, sent: 0, discarded: 0 },
    destinations: [],
    rejections,
    searchBacklog: 0,
    version,
    startedAt: '2026-11-30T00:00:00.000Z',
    deviceId: 'kiosk-test'
  }
}

export function summary(id: number, name = 'Viewed'): EventSummary {
  return {
    id,
    destination: 'whisperr',
    kind: 'track',
    name,
    userKey: `user-${id}`,
    messageId: `m-${id}`,
    status: 'queued',
    attempts: 0,
    occurredAt: null,
    receivedAt: '2026-11-30T00:00:00.000Z',
    sentAt: null,
    nextAttemptAt: null,
    lastStatus: null,
    lastError: null
  }
}

/** An event's detail as the store keeps it; only the fields a test looks at are real. */
export function detailOf(id: number, name: string): EventDetail {
  return { ...summary(id, name), id } as unknown as EventDetail
}

export function rejection(id: number): Rejection {
  return {
    id,
    at: '2026-11-30T00:00:00.000Z',
    method: 'POST',
    url: '/whisperr/v1/batch',
    destination: 'whisperr',
    status: 400,
    error: 'invalid_request',
    message: 'refused',
    fields: []
  } as unknown as Rejection
}
