/**
 * A vendor-agnostic mock upstream HTTP server for integration tests, e2e tests and benchmarks.
 *
 * Built on node:http only, on purpose: the mock must not share code (fastify, undici, our own
 * connectors) with the code under test, or a bug there could hide itself.
 *
 * What it gives a test:
 * - every request recorded (method, path with query, lowercased headers, raw body, parsed JSON,
 *   when it arrived, the status answered and the fault applied), so tests can count attempts;
 * - injectable faults: an HTTP status, a timeout (never answers), a reset socket, a slow answer;
 * - stop() / restart() on the same port, to play "the upstream went down, then came back";
 * - waitFor(), a polling wait with a clear failure message, so no test needs a fixed sleep.
 *
 * It listens on 127.0.0.1 with an OS-chosen port only, so parallel test files never collide and
 * nothing is reachable from outside the machine.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

/** Answer the mock's handler or a status fault sends. */
export interface MockResponse {
  status: number
  /**
   * `undefined` sends an empty body; a string is sent verbatim (as text/plain unless `headers`
   * set a content-type), so a test can send malformed JSON; any other value is sent as JSON.
   */
  body?: unknown
  headers?: Record<string, string>
}

/** Answer with this status (and body/headers) instead of running the handler. */
export interface StatusFault {
  type: 'status'
  status: number
  body?: unknown
  headers?: Record<string, string>
}

/**
 * Read the request, then never answer: the socket is held until the client gives up or the mock
 * stops. With `handled: true` the handler runs first (the upstream stored the data but its answer
 * is lost), which is how a real server produces duplicates on retry.
 */
export interface TimeoutFault {
  type: 'timeout'
  handled?: boolean
}

/**
 * Read the request, then reset the TCP connection (RST) without answering. With `handled: true`
 * the handler runs first, as for {@link TimeoutFault}.
 */
export interface ResetFault {
  type: 'reset'
  handled?: boolean
}

/**
 * Wait `delayMs`, then run the handler and answer normally. The handler runs even if the client
 * gave up meanwhile (a real server finishes work it started); a stop() or close() cancels it.
 */
export interface SlowFault {
  type: 'slow'
  delayMs: number
}

export type Fault = StatusFault | TimeoutFault | ResetFault | SlowFault

/** One request as the mock received it. */
export interface RecordedRequest {
  readonly method: string
  /** Path including the query string, exactly as sent. */
  readonly path: string
  /** Header names lowercased; repeated headers joined with ", ". */
  readonly headers: Readonly<Record<string, string>>
  /** Raw body, decoded as UTF-8. */
  readonly body: string
  /** The body parsed as JSON, or `undefined` when it is empty or not valid JSON. */
  readonly json: unknown
  /** Date.now() when the whole body had arrived. */
  readonly receivedAt: number
  /** The status answered; `null` while unanswered and forever for timeout / reset faults. */
  readonly status: number | null
  /** The fault applied to this request, `null` when the handler answered normally. */
  readonly fault: Fault | null
}

/** Decides the answer to a request that no fault intercepted. */
export type MockHandler = (request: RecordedRequest) => MockResponse | Promise<MockResponse>

export type RequestsPredicate = (requests: readonly RecordedRequest[]) => boolean

export interface MockUpstreamOptions {
  /** Names the mock in error messages, e.g. "whisperr". */
  name?: string
}

export interface MockUpstream {
  /** `http://127.0.0.1:PORT`, without a trailing slash; stays valid across stop() / restart(). */
  readonly url: string
  readonly port: number
  /** Live list of every request received, in arrival order (faulted ones included). */
  readonly requests: readonly RecordedRequest[]
  /** Errors thrown by the handler (each answered 500); a healthy test expects none. */
  readonly handlerErrors: readonly Error[]
  /** Apply `fault` to the next `count` requests. Queued faults are used before the persistent one. */
  failNext(count: number, fault: Fault): void
  /** Apply `fault` to every request from now on (after the queue is empty); `null` removes it. */
  setFault(fault: Fault | null): void
  /** Remove queued and persistent faults. */
  clearFaults(): void
  /** Empty `requests` in place (references held by tests stay valid). */
  clearRequests(): void
  /** Resolve once `predicate(requests)` is true; polled every 20 ms; rejects after `timeoutMs`. */
  waitFor(predicate: RequestsPredicate, timeoutMs?: number, description?: string): Promise<void>
  isListening(): boolean
  /** Stop listening and drop every connection: clients now get ECONNREFUSED. */
  stop(): Promise<void>
  /** Listen again on the same port (after stop(), or as a bounce when still listening). */
  restart(): Promise<void>
  /** Stop for good; idempotent. Call it in afterEach/afterAll so vitest can exit. */
  close(): Promise<void>
}

export const POLL_INTERVAL_MS = 20
export const DEFAULT_WAIT_MS = 2_000
const HOST = '127.0.0.1'

type MutableRecordedRequest = { -readonly [Key in keyof RecordedRequest]: RecordedRequest[Key] }
type ServerState = 'listening' | 'stopped' | 'closed'

/**
 * Resolve when `condition()` is true, checking now and then every 20 ms; reject after `timeoutMs`
 * with `describe()` in the message (evaluated at timeout, so it can show the state that was reached).
 */
export function waitUntil(
  condition: () => boolean,
  timeoutMs: number,
  describe: () => string
): Promise<void> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + timeoutMs
    const check = (): void => {
      try {
        if (condition()) {
          clearInterval(timer)
          resolve()
        } else if (Date.now() >= deadline) {
          clearInterval(timer)
          reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${describe()}`))
        }
      } catch (error) {
        clearInterval(timer)
        reject(error)
      }
    }
    const timer = setInterval(check, POLL_INTERVAL_MS)
    check()
  })
}

/** One line per recent request, for failure messages. */
export function summarizeRequests(requests: readonly RecordedRequest[], last = 10): string {
  if (requests.length === 0) return 'no requests were received'
  const lines = requests.slice(-last).map((request) => {
    const fault = request.fault ? ` [fault: ${request.fault.type}]` : ''
    return `  ${request.method} ${request.path} -> ${request.status ?? 'no answer'}${fault}`
  })
  const skipped = requests.length > last ? ` (last ${last} shown)` : ''
  return `${requests.length} request(s) received${skipped}:\n${lines.join('\n')}`
}

function flattenHeaders(headers: IncomingMessage['headers']): Record<string, string> {
  const flat: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value
  }
  return flat
}

function parseJsonOrUndefined(text: string): unknown {
  if (text.length === 0) return undefined
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

function encodeBody(response: MockResponse): { payload: string; contentType: string | null } {
  if (response.body === undefined) return { payload: '', contentType: null }
  if (typeof response.body === 'string')
    return { payload: response.body, contentType: 'text/plain; charset=utf-8' }
  return { payload: JSON.stringify(response.body), contentType: 'application/json; charset=utf-8' }
}

function hasLowercaseHeader(headers: Record<string, string>, name: string): boolean {
  return Object.keys(headers).some((key) => key.toLowerCase() === name)
}

/** True when the client can no longer receive an answer (it gave up, or we stopped). */
function isGone(response: ServerResponse): boolean {
  return response.writableEnded || response.destroyed || !response.socket || response.socket.destroyed
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen({ host: HOST, port }, () => {
      server.off('error', reject)
      resolve((server.address() as AddressInfo).port)
    })
  })
}

/** Delays that stop() / close() can cancel, so no timer outlives the mock or runs a handler late. */
function createCancellableDelays() {
  const pending = new Map<NodeJS.Timeout, (elapsed: boolean) => void>()
  return {
    /** Resolves true when the delay elapsed, false when it was cancelled. */
    wait(ms: number): Promise<boolean> {
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          pending.delete(timer)
          resolve(true)
        }, ms)
        pending.set(timer, resolve)
      })
    },
    cancelAll(): void {
      for (const [timer, resolve] of pending) {
        clearTimeout(timer)
        resolve(false)
      }
      pending.clear()
    }
  }
}

/** Start a mock upstream on 127.0.0.1 and an OS-chosen port. */
export async function startMockUpstream(
  handler: MockHandler,
  options: MockUpstreamOptions = {}
): Promise<MockUpstream> {
  const name = options.name ?? 'mock upstream'
  const requests: MutableRecordedRequest[] = []
  const handlerErrors: Error[] = []
  const faultQueue: Fault[] = []
  let persistentFault: Fault | null = null
  let state: ServerState = 'listening'
  const sockets = new Set<Socket>()
  const delays = createCancellableDelays()

  function takeFault(): Fault | null {
    return faultQueue.shift() ?? persistentFault
  }

  async function runHandler(request: RecordedRequest): Promise<MockResponse> {
    try {
      return await handler(request)
    } catch (caught) {
      const error = caught instanceof Error ? caught : new Error(String(caught))
      handlerErrors.push(error)
      return { status: 500, body: { error: 'mock_handler_error', message: error.message } }
    }
  }

  function answer(response: ServerResponse, recorded: MutableRecordedRequest, reply: MockResponse): void {
    if (isGone(response)) return
    const { payload, contentType } = encodeBody(reply)
    const headers: Record<string, string> = { ...reply.headers }
    if (contentType && !hasLowercaseHeader(headers, 'content-type')) headers['content-type'] = contentType
    headers['content-length'] = String(Buffer.byteLength(payload))
    recorded.status = reply.status
    response.writeHead(reply.status, headers)
    response.end(payload)
  }

  function record(request: IncomingMessage, body: string, fault: Fault | null): MutableRecordedRequest {
    const recorded: MutableRecordedRequest = {
      method: request.method ?? 'GET',
      path: request.url ?? '/',
      headers: flattenHeaders(request.headers),
      body,
      json: parseJsonOrUndefined(body),
      receivedAt: Date.now(),
      status: null,
      fault
    }
    requests.push(recorded)
    return recorded
  }

  async function serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let body: string
    try {
      body = await readBody(request)
    } catch {
      return // the client went away mid-body: there is no request to record
    }
    const fault = takeFault()
    const recorded = record(request, body, fault)
    switch (fault?.type) {
      case undefined:
        return answer(response, recorded, await runHandler(recorded))
      case 'status':
        return answer(response, recorded, fault)
      case 'slow':
        if (await delays.wait(fault.delayMs)) answer(response, recorded, await runHandler(recorded))
        return
      case 'timeout':
        if (fault.handled) await runHandler(recorded)
        return // hold the socket: no answer, ever
      case 'reset':
        if (fault.handled) await runHandler(recorded)
        request.socket.resetAndDestroy()
        return
    }
  }

  const server = createServer((request, response) => {
    void serve(request, response)
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })

  const port = await listen(server, 0)
  const url = `http://${HOST}:${port}`

  async function stop(): Promise<void> {
    if (state !== 'listening') return
    state = 'stopped'
    delays.cancelAll()
    const closed = new Promise<void>((resolve) => server.close(() => resolve()))
    // Destroy held and keep-alive sockets too: server.close() alone waits for them forever.
    for (const socket of sockets) socket.destroy()
    await closed
  }

  async function restart(): Promise<void> {
    if (state === 'closed') throw new Error(`${name}: restart() after close()`)
    await stop()
    await listen(server, port)
    state = 'listening'
  }

  async function close(): Promise<void> {
    await stop()
    state = 'closed'
  }

  function waitFor(
    predicate: RequestsPredicate,
    timeoutMs = DEFAULT_WAIT_MS,
    description?: string
  ): Promise<void> {
    const what = description ?? predicate.toString()
    return waitUntil(
      () => predicate(requests),
      timeoutMs,
      () => `${name} requests to satisfy: ${what}\n${summarizeRequests(requests)}`
    )
  }

  return {
    url,
    port,
    requests,
    handlerErrors,
    failNext(count, fault) {
      for (let i = 0; i < count; i++) faultQueue.push(fault)
    },
    setFault(fault) {
      persistentFault = fault
    },
    clearFaults() {
      faultQueue.length = 0
      persistentFault = null
    },
    clearRequests() {
      requests.length = 0
    },
    waitFor,
    isListening: () => state === 'listening',
    stop,
    restart,
    close
  }
}
