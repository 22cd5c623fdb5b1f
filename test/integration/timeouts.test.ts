import { connect, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { startCollector, type Collector } from '../../src/main/collector'
import { DEFAULTS, parseConfig } from '../../src/main/config'
import { tempDir } from '../support/temp'
import { whisperrEvent } from '../support/whisperr-events'

/**
 * Slow and many clients: a request must arrive whole within ingest.requestTimeoutMs, and
 * connections beyond ingest.maxConnections are closed, while a well-behaved client is served.
 */

let collector: Collector | null = null
let dir: ReturnType<typeof tempDir> | null = null
const sockets: Socket[] = []

async function start(ingest: { requestTimeoutMs?: number; maxConnections?: number }) {
  dir = tempDir('outpost-timeouts')
  const config = parseConfig({
    ingest: { host: '127.0.0.1', port: 0, ...ingest },
    destinations: [{ id: 'whisperr', vendor: 'whisperr', baseUrl: 'http://127.0.0.1:9' }]
  })
  collector = await startCollector({
    searchIndex: false,
    config,
    dataDir: dir.path,
    port: 0,
    rendererDir: null,
    env: {}
  })
  return collector
}

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy()
  await collector?.close()
  dir?.remove()
  collector = null
  dir = null
})

interface RawConnection {
  socket: Socket
  /** Everything the server wrote. */
  received(): string
  /** Resolves with the milliseconds from connecting until the server closed the connection. */
  closed: Promise<number>
}

/** A raw TCP connection to the collector, to send requests as slowly as a hostile client would. */
function rawConnection(port: number): Promise<RawConnection> {
  const socket = connect(port, '127.0.0.1')
  sockets.push(socket)
  const openedAt = performance.now()
  let received = ''
  socket.on('data', (chunk: Buffer) => (received += chunk.toString()))
  socket.on('error', () => {}) // a refused connection is reset: the test looks at `closed`
  const closed = new Promise<number>((resolve) =>
    socket.on('close', () => resolve(performance.now() - openedAt))
  )
  return new Promise((resolve) =>
    socket.on('connect', () => resolve({ socket, received: () => received, closed }))
  )
}

const TRACK = `POST /whisperr/v1/events/track HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n`

/** Sends the headers, then one byte of the promised body every `everyMs`, until the socket closes. */
function dribble(connection: RawConnection, everyMs: number): void {
  connection.socket.write(`${TRACK}Content-Length: 100000\r\n\r\n{`)
  const timer = setInterval(() => {
    if (!connection.socket.destroyed) connection.socket.write(' ')
  }, everyMs)
  void connection.closed.then(() => clearInterval(timer))
}

/** One complete request on a kept-alive connection; resolves with the status line. */
async function requestOn(connection: RawConnection): Promise<string> {
  const before = connection.received().length
  const body = JSON.stringify(whisperrEvent())
  connection.socket.write(`${TRACK}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`)
  const deadline = Date.now() + 5_000
  while (!connection.received().slice(before).includes('"accepted"')) {
    if (Date.now() > deadline) throw new Error(`no answer: ${connection.received().slice(before)}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  return connection.received().slice(before).split('\r\n')[0]!
}

const WITHIN_CHECK_MS = 1_000 // how often Node looks for requests past their timeout
const SLACK_MS = 1_000
/** Each test fails within this when a slow client is never cut off. */
const TEST_TIMEOUT_MS = 20_000

describe('ingest timeouts and the connection cap', () => {
  it('defaults to a 30 s request timeout and 1,024 connections, and documents them in the config', () => {
    expect(DEFAULTS.ingest).toMatchObject({ requestTimeoutMs: 30_000, maxConnections: 1024 })
    expect(() => parseConfig({ ingest: { requestTimeoutMs: 10 }, destinations: [] })).toThrow(
      /requestTimeoutMs must be >= 100/
    )
  })

  it(
    'cuts off a client that sends a body a byte at a time, and one that never finishes its headers',
    async () => {
      const timeoutMs = 1_500
      const { port } = await start({ requestTimeoutMs: timeoutMs })
      const slowBody = await rawConnection(port)
      dribble(slowBody, 200)
      const slowHeaders = await rawConnection(port)
      slowHeaders.socket.write('POST /whisperr/v1/events/track HTTP/1.1\r\n')
      const headerTimer = setInterval(() => slowHeaders.socket.write('X-Slow: 1\r\n'), 200)
      try {
        for (const connection of [slowBody, slowHeaders]) {
          const closedAfterMs = await connection.closed
          expect(closedAfterMs).toBeGreaterThanOrEqual(timeoutMs - 50)
          expect(closedAfterMs).toBeLessThan(timeoutMs + WITHIN_CHECK_MS + SLACK_MS)
        }
      } finally {
        clearInterval(headerTimer)
      }
      expect(slowBody.received()).toMatch(/^HTTP\/1\.1 408 /)
      // Nothing of the cut-off request was stored, and the collector goes on.
      expect((await collector!.api.getStats({})).counts.queued).toBe(0)
      const healthy = await rawConnection(port)
      expect(await requestOn(healthy)).toBe('HTTP/1.1 202 Accepted')
    },
    TEST_TIMEOUT_MS
  )

  it(
    'closes a connection idle for the request timeout',
    async () => {
      const timeoutMs = 1_000
      const { port } = await start({ requestTimeoutMs: timeoutMs })
      const silent = await rawConnection(port)
      const closedAfterMs = await silent.closed
      expect(closedAfterMs).toBeGreaterThanOrEqual(timeoutMs - 50)
      expect(closedAfterMs).toBeLessThan(timeoutMs + WITHIN_CHECK_MS + SLACK_MS)
    },
    TEST_TIMEOUT_MS
  )

  it(
    'closes connections beyond the cap at once, and a client already connected is still served',
    async () => {
      const cap = 5
      const { port } = await start({ requestTimeoutMs: 4_000, maxConnections: cap })
      const client = await rawConnection(port)
      expect(await requestOn(client)).toBe('HTTP/1.1 202 Accepted')

      const slow = await Promise.all(Array.from({ length: cap - 1 }, () => rawConnection(port)))
      slow.forEach((connection) => dribble(connection, 200))
      const excess = await Promise.all(Array.from({ length: 20 }, () => rawConnection(port)))
      const excessClosedAfterMs = await Promise.all(excess.map((connection) => connection.closed))
      expect(Math.max(...excessClosedAfterMs)).toBeLessThan(1_000)
      expect(excess.every((connection) => connection.received() === '')).toBe(true)

      // The cap is full of slow clients; the connected one keeps working on its connection.
      expect(slow.every((connection) => !connection.socket.destroyed)).toBe(true)
      expect(await requestOn(client)).toBe('HTTP/1.1 202 Accepted')

      // Once the slow ones are cut off, new clients connect again.
      await Promise.all(slow.map((connection) => connection.closed))
      const response = await fetch(`${collector!.url}/whisperr/v1/events/track`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(whisperrEvent())
      })
      expect(response.status).toBe(202)
      expect((await collector!.api.getStats({})).counts.queued).toBe(3)
    },
    TEST_TIMEOUT_MS
  )
})
