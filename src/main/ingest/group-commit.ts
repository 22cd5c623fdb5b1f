import type { Backlog, EnqueueResult, NewEvent } from '../store'

export interface OutboxLimits {
  maxEvents: number
  maxBytes: number
}

/** The outbox is full: the client is told to come back later, nothing acknowledged is dropped. */
export class OutboxFullError extends Error {
  override name = 'OutboxFullError'
  constructor(readonly retryAfterSeconds: number) {
    super('The outbox is full: delivery is behind. Retry later; no accepted event was dropped.')
  }
}

interface PendingWrite {
  events: NewEvent[]
  /** Rows the write stores: its events and their copies for the destinations theirs feed. */
  rows: number
  bytes: number
  resolve(result: EnqueueResult): void
  reject(error: unknown): void
}

export interface GroupCommitDeps {
  commit(requests: NewEvent[][], receivedAt: number): EnqueueResult[]
  backlog(): Backlog
  /** How many more rows each event of this destination makes (the NATS destinations it feeds). */
  copiesPerEvent?(destination: string): number
  limits: OutboxLimits
  now(): number
  /** Called after each commit with the destinations that got new events. */
  onCommitted(destinations: Set<string>): void
}

/**
 * Group commit: every request that arrives while the event loop is busy joins the next
 * transaction, so one fsync acknowledges many requests. A request is answered only after the
 * transaction holding its events has committed.
 */
export function createGroupCommitWriter(deps: GroupCommitDeps) {
  let queue: PendingWrite[] = []
  let scheduled = false

  function admit(group: PendingWrite[]): PendingWrite[] {
    const backlog = deps.backlog()
    let events = backlog.events
    let bytes = backlog.bytes
    const admitted: PendingWrite[] = []
    for (const write of group) {
      events += write.rows
      bytes += write.bytes
      if (events > deps.limits.maxEvents || bytes > deps.limits.maxBytes)
        write.reject(new OutboxFullError(30))
      else admitted.push(write)
    }
    return admitted
  }

  function commitEach(group: PendingWrite[], receivedAt: number): void {
    // One bad request must not fail its neighbours: commit them one by one.
    for (const write of group) {
      try {
        const [result] = deps.commit([write.events], receivedAt)
        write.resolve(result as EnqueueResult)
      } catch (error) {
        write.reject(error)
      }
    }
  }

  function flush(): void {
    scheduled = false
    const group = admit(queue)
    queue = []
    if (group.length === 0) return
    const receivedAt = deps.now()
    try {
      const results = deps.commit(
        group.map((write) => write.events),
        receivedAt
      )
      group.forEach((write, index) => write.resolve(results[index] as EnqueueResult))
    } catch {
      commitEach(group, receivedAt)
    }
    deps.onCommitted(new Set(group.flatMap((write) => write.events.map((event) => event.destination))))
  }

  function write(events: NewEvent[]): Promise<EnqueueResult> {
    return new Promise((resolve, reject) => {
      let rows = 0
      let bytes = 0
      for (const event of events) {
        const stored = 1 + (deps.copiesPerEvent?.(event.destination) ?? 0)
        rows += stored
        bytes += stored * Buffer.byteLength(event.payload)
      }
      queue.push({ events, rows, bytes, resolve, reject })
      if (!scheduled) {
        scheduled = true
        setImmediate(flush)
      }
    })
  }

  return { write, flush }
}

export type GroupCommitWriter = ReturnType<typeof createGroupCommitWriter>
