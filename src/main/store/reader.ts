import Database from 'better-sqlite3'
import { Worker } from 'node:worker_threads'
import type { EventCount, EventDetail, EventPage, EventQuery } from '@shared/model'
import type { ActivityMinute, ActivityReads } from './activity'
import type { Queries } from './queries'
import type { QueueHead, QueueHeadReads } from './queue-heads'
import { workerFile } from './worker-file'

/**
 * The UI's reads, answered by a worker thread on a read-only connection of its own: a slow read
 * (a search over a million events) never holds the thread that answers ingest and commits. WAL
 * lets it read beside the writer; each read sees what was committed when it began.
 */
export interface Reader {
  listEvents(query: EventQuery): Promise<EventPage>
  countEvents(query: EventQuery): Promise<EventCount>
  getEvent(id: number): Promise<EventDetail | null>
  /** The distinct event names, at most `limit`: Queries.eventNames. */
  eventNames(limit: number): Promise<string[]>
  /** The Activity view's charts: ActivityReads.activityBuckets. */
  activityBuckets(from: number, minutes: number): Promise<ActivityMinute[]>
  /** Each destination's oldest event still to be sent (the metrics' backlog age): QueueHeadReads.queueHeads. */
  queueHeads(destinations: string[]): Promise<QueueHead[]>
  /** Stops the worker; reads still waiting fail, later ones are refused. */
  close(): Promise<void>
}

/** What the reader runs, by name: the same functions as the store's own queries. */
export type ReadMethods = Pick<Queries, 'listEvents' | 'countEvents' | 'getEvent' | 'eventNames'> &
  ActivityReads &
  QueueHeadReads

/**
 * The worker's connection: read-only, so nothing it runs can write. The writer may hold the file
 * for a moment (a checkpoint, a WAL reset): it waits as the writer does.
 */
export function openReadConnection(file: string): Database.Database {
  const db = new Database(file, { readonly: true })
  db.pragma('busy_timeout = 5000')
  return db
}

/** The worker's startup data. */
export interface ReaderData {
  file: string
  /** The payload search index beside the outbox (search-index.ts), read when it exists. */
  searchIndexFile?: string
}

export type ReadCall = {
  [M in keyof ReadMethods]: { id: number; method: M; args: Parameters<ReadMethods[M]> }
}[keyof ReadMethods]

/** An error as plain data: what crosses the thread boundary is rebuilt into an Error here. */
export interface ReadFailure {
  name: string
  message: string
  code?: string
}

export type ReadAnswer =
  { id: number; ok: true; value: unknown } | { id: number; ok: false; error: ReadFailure }

interface Waiting {
  resolve(value: unknown): void
  reject(error: Error): void
}

/** One worker and the reads it has not answered yet. */
interface RunningWorker {
  worker: Worker
  waiting: Map<number, Waiting>
}

function rebuiltError(failure: ReadFailure): Error {
  const error = new Error(failure.message) as Error & { code?: string }
  error.name = failure.name
  if (failure.code !== undefined) error.code = failure.code
  return error
}

/**
 * Opens the reader of the outbox `file`. The worker starts with the first read (a collector nobody
 * looks at never runs it) and again after it stopped unexpectedly.
 */
export function openReader(file: string, options: { searchIndexFile?: string } = {}): Reader {
  let running: RunningWorker | null = null
  let closed = false
  let nextId = 1

  function failWaiting(from: RunningWorker, error: Error): void {
    for (const waiting of from.waiting.values()) waiting.reject(error)
    from.waiting.clear()
  }

  function start(): RunningWorker {
    const data: ReaderData = { file, ...options }
    const started: RunningWorker = {
      worker: new Worker(workerFile('reader-worker'), { workerData: data }),
      waiting: new Map()
    }
    started.worker.on('message', (answer: ReadAnswer) => {
      const waiting = started.waiting.get(answer.id)
      started.waiting.delete(answer.id)
      if (answer.ok) waiting?.resolve(answer.value)
      else waiting?.reject(rebuiltError(answer.error))
    })
    const stopped = (error: Error) => {
      if (running === started) running = null
      failWaiting(started, error)
    }
    started.worker.on('error', stopped)
    started.worker.on('exit', (code) => stopped(new Error(`The outbox reader stopped (exit code ${code})`)))
    return started
  }

  function call<M extends keyof ReadMethods>(
    method: M,
    ...args: Parameters<ReadMethods[M]>
  ): Promise<ReturnType<ReadMethods[M]>> {
    if (closed) return Promise.reject(new Error('The outbox reader is closed'))
    const target = (running ??= start())
    const id = nextId++
    return new Promise((resolve, reject) => {
      target.waiting.set(id, { resolve: resolve as (value: unknown) => void, reject })
      target.worker.postMessage({ id, method, args } as ReadCall)
    })
  }

  return {
    listEvents: (query) => call('listEvents', query),
    countEvents: (query) => call('countEvents', query),
    getEvent: (id) => call('getEvent', id),
    eventNames: (limit) => call('eventNames', limit),
    activityBuckets: (from, minutes) => call('activityBuckets', from, minutes),
    queueHeads: (destinations) => call('queueHeads', destinations),
    async close() {
      closed = true
      const stopping = running
      running = null
      if (!stopping) return
      failWaiting(stopping, new Error('The outbox reader is closed'))
      await stopping.worker.terminate()
    }
  }
}
