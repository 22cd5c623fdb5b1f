/**
 * The search indexer's worker thread (search-indexer.ts starts it): brings the payload search
 * index (search-index.ts) up to date with the outbox, one short step at a time, and tells the
 * collector how far it is.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { openSearchIndexWriter, type SearchIndexWriter } from './search-index'
import type { IndexerData, IndexerMessage } from './search-indexer'

const { outboxFile, idleMs, retryMs } = workerData as IndexerData
const port = parentPort
if (!port) throw new Error('search-indexer-worker runs as a worker thread (search-indexer.ts starts it)')

let writer: SearchIndexWriter | null = null
let timer: ReturnType<typeof setTimeout> | null = null
let stopped = false

function tell(message: IndexerMessage): void {
  port?.postMessage(message)
}

/**
 * Steps while there is work, resting as long as each step took (half a core at most: on two cores,
 * working flat out beside a burst of ingest took its throughput to ~0.7×, and delivery and the UI
 * share them too); with nothing to do it rests `idleMs`. A stop is heard between steps.
 */
function run(): void {
  timer = null
  if (stopped) return
  try {
    writer ??= openSearchIndexWriter(outboxFile)
    const started = performance.now()
    const outcome = writer.step()
    const spent = performance.now() - started
    tell({ kind: 'progress', progress: writer.progress() })
    timer = setTimeout(run, outcome === 'idle' ? idleMs : spent)
  } catch (error) {
    // The outbox busy or damaged, the disk full: the collector says why; the index waits and tries again.
    tell({ kind: 'error', message: (error as Error).message })
    writer?.close()
    writer = null
    timer = setTimeout(run, retryMs)
  }
}

port.on('message', (message: 'stop') => {
  if (message !== 'stop') return
  stopped = true
  if (timer) clearTimeout(timer)
  writer?.close()
  writer = null
  port.close()
})
run()
