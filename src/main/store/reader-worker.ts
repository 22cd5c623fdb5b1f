/**
 * The reader's worker thread (reader.ts starts it): the UI's reads on a read-only connection of
 * their own. Reads are answered one at a time, in the order they came.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { createQueries } from './queries'
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

function run(call: ReadCall, reads: ReadMethods): unknown {
  switch (call.method) {
    case 'listEvents':
      return reads.listEvents(...call.args)
    case 'countEvents':
      return reads.countEvents(...call.args)
    case 'getEvent':
      return reads.getEvent(...call.args)
  }
}

function answer(call: ReadCall, reads: ReadMethods): ReadAnswer {
  try {
    return { id: call.id, ok: true, value: run(call, reads) }
  } catch (error) {
    return { id: call.id, ok: false, error: failureOf(error) }
  }
}

const { file, searchIndexFile } = workerData as ReaderData
const port = parentPort
if (!port) throw new Error('reader-worker runs as a worker thread (reader.ts starts it)')
const reads: ReadMethods = createQueries(openReadConnection(file), { searchIndexFile })
port.on('message', (call: ReadCall) => port.postMessage(answer(call, reads)))
