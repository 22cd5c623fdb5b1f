import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DEFAULTS, parseConfig, resolveDestinations, type Destination } from '../../src/main/config'
import { openStore, type NewEvent, type Store } from '../../src/main/store'
import type { Connector } from '../../src/main/connectors'
import { DestinationWorker } from '../../src/main/sync/worker'
import type { Transport } from '../../src/main/sync/transport'
import { tempDir } from '../support/temp'

/**
 * Whatever throws between claiming a batch and settling it (the connector building the request,
 * the transport, SQLite recording the attempt), no event stays leased and the queue moves on.
 */

const TIMEOUT_MS = 1_000
const LEASE_MS = TIMEOUT_MS * 3

function identify(n: number): NewEvent {
  return {
    destination: 'whisperr',
    messageId: `identify_${n}`,
    kind: 'identify',
    name: 'identify',
    userKey: 'u1',
    occurredAt: null,
    payload: `{"external_user_id":"u1","traits":{"n":${n}}}`,
    upstreamParams: null
  }
}

const accepted: Awaited<ReturnType<Transport['post']>> = {
  kind: 'answer',
  answer: { status: 202, headers: {}, body: '{"accepted":1,"rejected":0}' }
}

describe('a claimed batch is always settled or released', () => {
  let dir: ReturnType<typeof tempDir>
  let store: Store
  let destination: Destination
  let clock: number
  let post: Transport['post']
  let sentBodies: string[]
  let worker: DestinationWorker

  beforeEach(() => {
    dir = tempDir()
    store = openStore(`${dir.path}/outbox.sqlite`)
    const config = parseConfig({
      destinations: [{ id: 'whisperr', vendor: 'whisperr', apiKey: 'k', baseUrl: 'http://127.0.0.1:9' }]
    })
    ;[destination] = resolveDestinations(config, {}) as [Destination]
    clock = 1_000
    sentBodies = []
    post = async (_url, _headers, body) => {
      sentBodies.push(body)
      return accepted
    }
    const transport: Transport = { post: (...args) => post(...args), close: async () => {} }
    worker = new DestinationWorker(destination, {
      store,
      transport,
      backoff: { baseMs: 10, maxMs: 10 },
      authRetry: { baseMs: 10, maxMs: 10 },
      timeoutMs: TIMEOUT_MS,
      concurrency: DEFAULTS.sync.concurrency,
      now: () => clock,
      onChange: () => {}
    })
  })
  afterEach(async () => {
    await worker.stop()
    store.close()
    dir.remove()
  })

  const statuses = () =>
    (store.db.prepare('SELECT status FROM outbox ORDER BY id').all() as { status: string }[]).map(
      (r) => r.status
    )
  const lastErrors = () =>
    (store.db.prepare('SELECT last_error AS e FROM outbox ORDER BY id').all() as { e: string | null }[]).map(
      (r) => r.e
    )

  /** Lets the worker run until it has nothing more to do now. */
  async function drain(): Promise<void> {
    worker.wake()
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve))
  }

  it('fails a batch the connector cannot build, and delivers the events behind it', async () => {
    store.outbox.enqueueEvents([[identify(1), identify(2)]], clock)
    const connector = destination.connector as Connector
    const build = connector.buildRequest
    let calls = 0
    destination.connector = {
      ...connector,
      buildRequest: (events, credentials) => {
        if (calls++ === 0) throw new Error('stored row has no projectId')
        return build(events, credentials)
      }
    }
    await drain()
    expect(statuses()).toEqual(['failed', 'sent'])
    expect(lastErrors()[0]).toMatch(/could not build the Whisperr request: stored row has no projectId/)
  })

  it('gives the batch back when the transport throws, and delivers it on the next try', async () => {
    store.outbox.enqueueEvents([[identify(1), identify(2)]], clock)
    post = async () => {
      throw new Error('socket exploded')
    }
    await drain()
    expect(statuses()).toEqual(['retrying', 'queued'])
    expect(lastErrors()[0]).toMatch(/not sent: socket exploded/)
    post = async (_url, _headers, body) => {
      sentBodies.push(body)
      return accepted
    }
    clock += 1_000
    await drain()
    expect(statuses()).toEqual(['sent', 'sent'])
    expect(sentBodies).toEqual([identify(1).payload, identify(2).payload])
  })

  it('gives the batch back when SQLite refuses to record the attempt', async () => {
    store.outbox.enqueueEvents([[identify(1), identify(2)]], clock)
    store.db.exec(`CREATE TEMP TRIGGER attempt_fails BEFORE INSERT ON attempts
      BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END`)
    await drain()
    expect(statuses()).toEqual(['retrying', 'queued'])
    expect(lastErrors()[0]).toMatch(/not sent: disk I\/O error/)
    store.db.exec('DROP TRIGGER attempt_fails')
    clock += 1_000
    await drain()
    expect(statuses()).toEqual(['sent', 'sent'])
  })

  it('lets the lease expire when even the release cannot be written, then sends again in order', async () => {
    store.outbox.enqueueEvents([[identify(1), identify(2)]], clock)
    store.db.exec(`CREATE TEMP TRIGGER attempt_fails BEFORE INSERT ON attempts
      BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;
      CREATE TEMP TRIGGER release_fails BEFORE UPDATE OF status ON outbox WHEN NEW.status = 'retrying'
      BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`)
    await drain()
    expect(statuses()).toEqual(['sending', 'queued'])
    store.db.exec('DROP TRIGGER attempt_fails; DROP TRIGGER release_fails')
    clock += LEASE_MS - 1
    await drain()
    expect(statuses()).toEqual(['sending', 'queued'])
    clock += 2
    await drain()
    expect(statuses()).toEqual(['sent', 'sent'])
    expect(sentBodies).toEqual([identify(1).payload, identify(1).payload, identify(2).payload])
  })
})
