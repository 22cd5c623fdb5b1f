/**
 * The reader's worker thread (reader.ts starts it): the UI's reads on a read-only connection of
 * their own. Reads are answered one at a time, in the order they came.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { createActivityReads } from './activity'
import { createQueries } from './queries'
import { createQueueHeadReads } from './queue-heads'
import {
  openReadConnection,
  type ReadAnswer,
  type ReadCall,
  type ReaderData,
  type ReadFailure,
  type ReadMethods
} from './reader'

function failureOf(error: unknown): ReadFailure {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) }
  const { code } = error as Error & { code?: unknown }
  return { name: error.name, message: error.message, ...(typeof code === 'string' ? { code } : {}) }
}

function answer(call: ReadCall, reads: ReadMethods): ReadAnswer {
  try {
    const read = reads[call.method] as (...args: ReadCall['args']) => unknown
    const value = read(...call.args)
    return { id: call.id, ok: true, value }
  } catch (error) {
    return { id: call.id, ok: false, error: failureOf(error) }
  }
}

const { file, searchIndexFile } = workerData as ReaderData
const port = parentPort
if (!port) throw new Error('reader-worker runs as a worker thread (reader.ts starts it)')
const connection = openReadConnection(file)
const reads: ReadMethods = {
  ...createQueries(connection, { searchIndexFile }),
  ...createActivityReads(connection),
  ...createQueueHeadReads(connection)
}
port.on('message', (call: ReadCall) => port.postMessage(answer(call, reads)))
