/**
 * The ingest baselines: the least a server must do to answer the same requests as Outpost.
 * Built on node:http and better-sqlite3 only, so they share no code with the collector.
 */
import Database from 'better-sqlite3'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { TransactionTally } from './outpost'

export interface RunningServer {
  /** `http://127.0.0.1:PORT` */
  origin: string
  close(): Promise<void>
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

/** The events of a Whisperr track body (one event) or batch body (`{ events: [...] }`). */
function eventsOf(body: unknown): unknown[] {
  const batch = (body as { events?: unknown }).events
  return Array.isArray(batch) ? batch : [body]
}

function answerAccepted(response: ServerResponse, count: number): void {
  response.writeHead(202, { 'content-type': 'application/json' })
  response.end(JSON.stringify({ accepted: count, rejected: 0 }))
}

function answerError(response: ServerResponse, error: unknown): void {
  response.writeHead(500, { 'content-type': 'application/json' })
  response.end(JSON.stringify({ error: 'baseline_failed', message: String(error) }))
}

/** Serves `handle` on 127.0.0.1 and an OS-chosen port. */
async function serve(
  handle: (events: unknown[]) => void,
  onClose: () => void = () => {}
): Promise<RunningServer> {
  const server: Server = createServer((request, response) => {
    readBody(request)
      .then((text) => {
        const events = eventsOf(JSON.parse(text))
        handle(events)
        answerAccepted(response, events.length)
      })
      .catch((error: unknown) => answerError(response, error))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen({ host: '127.0.0.1', port: 0 }, resolve)
  })
  const { port } = server.address() as AddressInfo
  return {
    origin: `http://127.0.0.1:${port}`,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      server.closeAllConnections()
      await closed
      onClose()
    }
  }
}

/** Baseline A, the HTTP ceiling: read the body, parse it, answer 202. Nothing is stored. */
export function startParseOnlyServer(): Promise<RunningServer> {
  return serve(() => {})
}

/**
 * Baseline B, durability without group commit: each request's events are inserted in a transaction
 * of their own (WAL, synchronous=FULL, like Outpost's outbox), committed before the answer, so
 * every request pays one fsync. A single-event request is one transaction per event. Its
 * transactions are tallied as the bench tallies Outpost's: runs, and time with the commit.
 */
export async function startCommitPerRequestServer(
  file: string
): Promise<RunningServer & { transactions(): TransactionTally }> {
  const db = new Database(file)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = FULL')
  db.exec(`CREATE TABLE events (
    id INTEGER PRIMARY KEY, message_id TEXT NOT NULL UNIQUE, payload TEXT NOT NULL, received_at INTEGER NOT NULL)`)
  const insert = db.prepare(`INSERT INTO events (message_id, payload, received_at) VALUES (?, ?, ?)`)
  const tally: TransactionTally = { runs: 0, ms: 0 }
  const insertRequest = db.transaction((events: unknown[], receivedAt: number) => {
    for (const event of events) {
      const messageId = (event as { context?: { $message_id?: string } }).context?.$message_id ?? null
      insert.run(messageId, JSON.stringify(event), receivedAt)
    }
  })
  const storeRequest = (events: unknown[]) => {
    const started = performance.now()
    try {
      insertRequest(events, Date.now())
    } finally {
      tally.runs++
      tally.ms += performance.now() - started
    }
  }
  const server = await serve(storeRequest, () => db.close())
  return { ...server, transactions: () => ({ ...tally }) }
}
