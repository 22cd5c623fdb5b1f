import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { parseConfig, resolveDestinations, type Destination } from '../../src/main/config'
import { openStore, type NewEvent, type Store } from '../../src/main/store'
import type { Transport, TransportResult } from '../../src/main/sync/transport'
import { DestinationWorker } from '../../src/main/sync/worker'
import { tempDir } from '../support/temp'

/**
 * DestinationWorker with several requests in flight, against a transport the test answers by
 * hand: what a setback (a wait, an auth hold, a split) does to the requests sent before it, and
 * how many transactions the bookkeeping costs.
 */

const BACKOFF = { baseMs: 100, maxMs: 100_000 }
const CONCURRENCY = 4

function whisperrEvent(n: number, user: string, kind: 'track' | 'identify', text = ''): NewEvent {
  const payload =
    kind === 'track'
      ? `{"event_type":"e_${n}","external_user_id":"${user}","context":{"$message_id":"m${n}"}${text}}`
      : `{"external_user_id":"${user}","traits":{"n":${n}}${text}}`
  return {
    destination: 'whisperr',
    messageId: `m${n}`,
    kind,
    name: kind,
    userKey: user,
    occurredAt: null,
    payload,
    upstreamParams: null
  }
}

const answer = (status: number, body = ''): TransportResult => ({
  kind: 'answer',
  answer: { status, headers: {}, body }
})

/** Lets every promise the worker chained run. */
async function settleDown(): Promise<void> {
  for (let i = 0; i < 30; i++) await new Promise((resolve) => setImmediate(resolve))
}

describe('a worker with several requests in flight', () => {
  let dir: ReturnType<typeof tempDir>
  let store: Store
  let destination: Destination
  let clock: number
  let post: Transport['post']
  let worker: DestinationWorker

  beforeEach(() => {
    dir = tempDir()
    store = openStore(`${dir.path}/outbox.sqlite`)
    const config = parseConfig({
      destinations: [{ id: 'whisperr', vendor: 'whisperr', apiKey: 'k', baseUrl: 'http://127.0.0.1:9' }]
    })
    ;[destination] = resolveDestinations(config, {}) as [Destination]
    clock = 1_000
  })
  afterEach(async () => {
    vi.restoreAllMocks()
    await worker.stop()
    store.close()
    dir.remove()
  })

  function startWorker(): void {
    const transport: Transport = { post: (...args) => post(...args), close: async () => {} }
    worker = new DestinationWorker(destination, {
      store,
      transport,
      backoff: BACKOFF,
      authRetry: { baseMs: 60_000, maxMs: 60_000 },
      timeoutMs: 1_000,
      concurrency: CONCURRENCY,
      now: () => clock,
      onChange: () => {}
    })
  }

  /** Requests held until the test answers them (or the worker stops), oldest first. */
  function heldRequests(): { body: string; reply(result: TransportResult): void }[] {
    const held: { body: string; reply(result: TransportResult): void }[] = []
    post = (_url, _headers, body, cancel) =>
      new Promise((reply) => {
        held.push({ body, reply })
        cancel?.addEventListener('abort', () => reply({ kind: 'no_answer', reason: 'cancelled by shutdown' }))
      })
    return held
  }

  const statuses = () =>
    (store.db.prepare('SELECT status FROM outbox ORDER BY id').all() as { status: string }[]).map(
      (row) => row.status
    )

  it('counts requests that fail together in one outage as one failure, then probes with a single request', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(1) // the backoff's jitter at its ceiling
    const held = heldRequests()
    const users = ['ana', 'ben', 'chi', 'dev', 'eve', 'fay']
    store.outbox.enqueueEvents([users.map((user, n) => whisperrEvent(n, user, 'identify'))], clock)
    startWorker()
    worker.wake()
    await settleDown()
    expect(held).toHaveLength(CONCURRENCY)

    for (const request of held.splice(0)) request.reply({ kind: 'no_answer', reason: 'connection refused' })
    await settleDown()
    // One failure: the base backoff, not the base doubled for each request of the outage.
    expect(worker.state()).toMatchObject({ hold: 'offline', nextAttemptAt: clock + BACKOFF.baseMs })
    expect(held).toHaveLength(0)

    clock += BACKOFF.baseMs
    worker.wake()
    await settleDown()
    expect(held).toHaveLength(1)
    held.shift()?.reply(answer(202))
    await settleDown()
    expect(held).toHaveLength(CONCURRENCY)
    expect(worker.state().hold).toBeNull()
  })

  it('sends at full concurrency again once the probe after a wait is answered, even with a refusal', async () => {
    const held = heldRequests()
    const users = ['ana', 'ben', 'chi', 'dev', 'eve', 'fay']
    store.outbox.enqueueEvents([users.map((user, n) => whisperrEvent(n, user, 'identify'))], clock)
    startWorker()
    worker.wake()
    await settleDown()
    held.shift()?.reply(answer(503))
    await settleDown()
    for (const request of held.splice(0)) request.reply(answer(202))
    await settleDown()
    clock += BACKOFF.maxMs
    worker.wake()
    await settleDown()
    expect(held).toHaveLength(1)
    held.shift()?.reply(answer(400, '{"error":"invalid event"}'))
    await settleDown()
    expect(held).toHaveLength(2)
    expect(statuses()).toEqual(['failed', 'sent', 'sent', 'sent', 'sending', 'sending'])
  })

  it('keeps the auth hold when a request sent before the refusal is accepted', async () => {
    const held = heldRequests()
    store.outbox.enqueueEvents(
      [[whisperrEvent(1, 'ana', 'identify'), whisperrEvent(2, 'ben', 'identify')]],
      clock
    )
    startWorker()
    worker.wake()
    await settleDown()
    expect(held).toHaveLength(2)

    held[0]?.reply(answer(401, '{"error":"invalid key"}'))
    await settleDown()
    expect(worker.state().hold).toBe('auth')
    held[1]?.reply(answer(202))
    await settleDown()
    expect(worker.state().hold).toBe('auth')
    expect(statuses()).toEqual(['queued', 'sent'])
  })

  it('isolates the event Whisperr refuses by halving its batch while the other batches go', async () => {
    destination.batchSize = 8
    const users = ['ana', 'ben', 'chi', 'dev']
    const events = Array.from({ length: 40 }, (_, n) =>
      whisperrEvent(n, users[n % 4] as string, 'track', n === 13 ? ',"bad":true' : '')
    )
    store.outbox.enqueueEvents([events], clock)
    const received: string[] = []
    let requests = 0
    post = async (_url, _headers, body) => {
      requests++
      await new Promise((resolve) => setTimeout(resolve, requests % 3))
      if (body.includes('"bad"')) return answer(400, '{"error":"invalid event"}')
      const batch = (JSON.parse(body) as { events: { context: { $message_id: string } }[] }).events
      received.push(...batch.map((event) => event.context.$message_id))
      return answer(202, `{"accepted":${batch.length},"rejected":0}`)
    }
    startWorker()
    worker.wake()
    await vi.waitFor(() => expect(statuses().filter((status) => status === 'queued')).toEqual([]), {
      timeout: 5_000
    })
    await settleDown()

    expect(statuses()[13]).toBe('failed')
    expect(statuses().filter((status) => status === 'sent')).toHaveLength(39)
    expect(new Set(received).size).toBe(39)
    expect(received).toHaveLength(39)
    for (const user of users) {
      const ofUser = events.filter((event) => event.userKey === user && !event.payload.includes('"bad"'))
      expect(received.filter((id) => ofUser.some((event) => event.messageId === id))).toEqual(
        ofUser.map((event) => event.messageId)
      )
    }
    expect(requests).toBeLessThan(30)
  })

  it('writes the answers that arrive together, and the claims that fill their places, in one transaction', async () => {
    const users = Array.from({ length: 20 }, (_, n) => `user_${n}`)
    store.outbox.enqueueEvents([users.map((user, n) => whisperrEvent(n, user, 'identify'))], clock)
    // Every request of a round is answered in the same turn of the event loop.
    post = async () => answer(202)
    const { outbox, db } = store
    let transactions = 0
    const inTransaction = outbox.inTransaction
    outbox.inTransaction = (work) => {
      if (!db.inTransaction) transactions++
      return inTransaction(work)
    }
    const settleAttempt = outbox.settleAttempt
    outbox.settleAttempt = (...args) => {
      expect(db.inTransaction, 'an answer is recorded inside the transaction that claims').toBe(true)
      return settleAttempt(...args)
    }
    startWorker()
    worker.wake()
    await vi.waitFor(() => expect(statuses().every((status) => status === 'sent')).toBe(true))
    await settleDown()
    // The first claims, then one per round of answers.
    expect(transactions).toBe(1 + users.length / CONCURRENCY)
  })

  it('writes the other answers of a group when one of them cannot be written, and gives that one back', async () => {
    const held = heldRequests()
    const users = ['ana', 'ben', 'chi', 'dev']
    store.outbox.enqueueEvents([users.map((user, n) => whisperrEvent(n, user, 'identify'))], clock)
    store.db.exec(`CREATE TEMP TRIGGER refuse_200 BEFORE INSERT ON attempts WHEN NEW.status = 200
      BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END`)
    startWorker()
    worker.wake()
    await settleDown()
    expect(held).toHaveLength(4)
    held.forEach((request, n) => request.reply(answer(n === 1 ? 200 : 202)))
    await settleDown()
    expect(statuses()).toEqual(['sent', 'retrying', 'sent', 'sent'])
    const reason = store.db.prepare('SELECT last_error FROM outbox WHERE id = 2').pluck().get()
    expect(reason).toMatch(/not sent: disk I\/O error/)
  })
})
