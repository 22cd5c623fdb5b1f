import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { jetstream, jetstreamManager, type StreamConfig } from '@nats-io/jetstream'
import { connect, type NatsConnection, type NodeConnectionOptions } from '@nats-io/transport-node'
import { afterEach, describe } from 'vitest'
import { eventually, tempDir } from './temp'

/** The real server the NATS tests run against; CI installs it (`.ci/run`, Debian's nats-server). */
export const NATS_SERVER = '/usr/sbin/nats-server'
export const natsServerMissing = !existsSync(NATS_SERVER)
export const NATS_SKIP_REASON = `${NATS_SERVER} is not installed (apt-get install nats-server): the NATS JetStream tests need the real server`

/** A describe block skipped, and saying why, where the real server is not installed. */
export function describeWithNatsServer(name: string, suite: () => void): void {
  if (natsServerMissing) console.warn(`skipping "${name}": ${NATS_SKIP_REASON}`)
  describe.skipIf(natsServerMissing)(name, suite)
}

/** A port free on 127.0.0.1 now, found by binding port 0. */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

export interface NatsServerOptions {
  /** Server config file text (authorization blocks and such); the command line gives the rest. */
  configText?: string
}

export interface TestNatsServer {
  url: string
  port: number
  /** A client connection for the test itself (admin user when the server has auth). */
  connectClient(extra?: Partial<NodeConnectionOptions>): Promise<NatsConnection>
  stop(): Promise<void>
  /** Starts again on the same port and store directory: JetStream's streams and messages survive. */
  start(): Promise<void>
  /** Writes the server's config file anew: read at the next start. */
  setConfig(configText: string): void
  remove(): Promise<void>
}

/** `nats-server -js -a 127.0.0.1 -p <free port> -sd <tmp dir>`, ready when a client can connect. */
export async function startNatsServer(
  options: NatsServerOptions = {},
  clientOptions: Partial<NodeConnectionOptions> = {}
): Promise<TestNatsServer> {
  const dir = tempDir('outpost-nats')
  const port = await freePort()
  const url = `nats://127.0.0.1:${port}`
  const args = ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', join(dir.path, 'store')]
  const configFile = join(dir.path, 'server.conf')
  const setConfig = (text: string) => writeFileSync(configFile, text)
  if (options.configText) {
    setConfig(options.configText)
    args.push('-c', configFile)
  }
  let child: ChildProcess | null = null
  let log = ''

  const connectClient = (extra: Partial<NodeConnectionOptions> = {}) =>
    connect({ servers: url, ...clientOptions, ...extra })

  async function start(): Promise<void> {
    const started = spawn(NATS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    started.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()))
    started.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()))
    child = started
    await eventually(
      async () => {
        if (started.exitCode !== null) throw new Error(`nats-server exited: ${log}`)
        const probe = await connectClient({ reconnect: false, timeout: 500 })
        await probe.close()
      },
      20_000,
      `nats-server on ${url}`
    )
  }

  async function stop(): Promise<void> {
    const running = child
    child = null
    if (!running || running.exitCode !== null) return
    const exited = new Promise((resolve) => running.once('exit', resolve))
    running.kill('SIGTERM')
    await exited
  }

  await start()
  return {
    url,
    port,
    connectClient,
    start,
    setConfig,
    stop,
    async remove() {
      await stop()
      dir.remove()
    }
  }
}

export interface NatsTestSetup {
  /** Server config file text, as in NatsServerOptions. */
  configText?: string
  /** Credentials (or TLS) every client of the server needs, the readiness probe's too. */
  credentials?: Partial<NodeConnectionOptions>
  /** More options for the test's own client connection. */
  connection?: Partial<NodeConnectionOptions>
  /** Whether to add the OUTPOST stream taking `outpost.>` (default true). */
  outpostStream?: boolean
}

/**
 * Lets each test of the calling describe block start its own server and client connection, both
 * closed after it (after the block's own afterEach hooks, which run first: vitest runs them as a stack).
 */
export function useNatsServer(): {
  start(setup?: NatsTestSetup): Promise<{ server: TestNatsServer; client: NatsConnection }>
  /** Closes the test's client and connects a new one, closed after the test like the first. */
  reconnect(extra?: Partial<NodeConnectionOptions>): Promise<NatsConnection>
} {
  let server: TestNatsServer | null = null
  let client: NatsConnection | null = null
  afterEach(async () => {
    await client?.close()
    await server?.remove()
    client = null
    server = null
  })
  return {
    async start({ configText, credentials, connection, outpostStream = true } = {}) {
      const started = await startNatsServer({ configText }, credentials)
      server = started
      const connected = await started.connectClient(connection)
      client = connected
      if (outpostStream) await addStream(connected, 'OUTPOST', ['outpost.>'])
      return { server: started, client: connected }
    },
    async reconnect(extra) {
      if (!server) throw new Error('useNatsServer: reconnect before start')
      await client?.close()
      client = await server.connectClient(extra)
      return client
    }
  }
}

/** Creates a stream (file storage) taking `subjects`, with a duplicate window of `duplicateWindowMs`. */
export async function addStream(
  connection: NatsConnection,
  name: string,
  subjects: string[],
  extra: Partial<StreamConfig> = {}
): Promise<void> {
  const manager = await jetstreamManager(connection)
  await manager.streams.add({ name, subjects, duplicate_window: 10 * 60 * 1_000_000_000, ...extra })
}

export interface StoredMessage {
  subject: string
  msgId: string
  headers: Record<string, string>
  data: string
}

/** Every message of the stream, read back with an ordered consumer from its first sequence. */
export async function readStream(connection: NatsConnection, stream: string): Promise<StoredMessage[]> {
  const manager = await jetstreamManager(connection)
  const { state } = await manager.streams.info(stream)
  const js = jetstream(connection)
  const consumer = await js.consumers.get(stream)
  const messages: StoredMessage[] = []
  if (state.messages === 0) return messages
  const iterator = await consumer.consume()
  for await (const message of iterator) {
    const headers: Record<string, string> = {}
    for (const [key, values] of message.headers ?? []) headers[key] = values.join(', ')
    messages.push({
      subject: message.subject,
      msgId: message.headers?.get('Nats-Msg-Id') ?? '',
      headers,
      data: message.string()
    })
    if (message.seq >= state.last_seq) break
  }
  await iterator.close()
  return messages
}
