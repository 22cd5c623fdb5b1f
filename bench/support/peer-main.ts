/**
 * The peer process of a benchmark: the apps' load generator and the vendor's mock upstream, out of
 * the process under test so that each has a core of its own. Started by bench/support/peer.ts
 * through peer-launcher.mjs; takes commands over IPC and exits when its parent goes away.
 */
import { startMockFlywheel, type MockFlywheel } from '../../test/mocks/flywheel'
import { POLL_INTERVAL_MS } from '../../test/mocks/mock-upstream'
import { startMockWhisperr, type MockWhisperr } from '../../test/mocks/whisperr'
import { runLoad } from './load-generator'
import {
  PEER_READY,
  type DrainReport,
  type MockVendor,
  type PeerCommand,
  type PeerRequest,
  type PeerResponse,
  type UpstreamReport
} from './peer-protocol'
import { whileQuerying } from './query-loop'
import { scrapeInTurn, whileScraping } from './scrape-loop'

let whisperr: MockWhisperr | null = null
let flywheel: MockFlywheel | null = null

function requireWhisperr(): MockWhisperr {
  if (!whisperr) throw new Error('start-whisperr first')
  return whisperr
}

function requireFlywheel(): MockFlywheel {
  if (!flywheel) throw new Error('start-flywheel first')
  return flywheel
}

async function awaitWhisperr(events: number, timeoutMs: number): Promise<UpstreamReport> {
  const mock = requireWhisperr()
  await mock.waitForEvents(events, timeoutMs)
  return {
    // The log is in acceptance order; its last entry is the event that completed the set.
    completedAt: mock.log.at(-1)?.acceptedAt ?? Date.now(),
    distinctEvents: mock.received.size,
    requests: mock.requests.length,
    duplicates: mock.duplicateMessageIds().length,
    rejections: mock.rejections.length
  }
}

/** What a mock has accepted so far, in the shape both vendors share. */
function drainState(vendor: MockVendor): Omit<DrainReport, 'complete'> {
  if (vendor === 'whisperr') {
    const mock = requireWhisperr()
    return {
      accepted: mock.received.size,
      lastAcceptedAt: mock.log.at(-1)?.acceptedAt ?? null,
      requests: mock.requests.length,
      duplicates: mock.duplicateMessageIds().length,
      rejections: mock.rejections.length
    }
  }
  const mock = requireFlywheel()
  return {
    accepted: mock.events.length,
    lastAcceptedAt: mock.events.at(-1)?.receivedAt ?? null,
    requests: mock.requests.length,
    duplicates: [...mock.deliveries.values()].filter((count) => count > 1).length,
    rejections: mock.rejections.length
  }
}

async function awaitUpstream(vendor: MockVendor, events: number, deadline: number): Promise<DrainReport> {
  const accepted = () =>
    vendor === 'whisperr' ? requireWhisperr().received.size : requireFlywheel().events.length
  while (accepted() < events && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS))
  }
  return { ...drainState(vendor), complete: accepted() >= events }
}

function resetUpstream(vendor: MockVendor, latencyMs: number): void {
  const mock = vendor === 'whisperr' ? requireWhisperr() : requireFlywheel()
  mock.reset()
  if (latencyMs > 0) mock.setFault({ type: 'slow', delayMs: latencyMs })
}

async function execute(command: PeerCommand): Promise<unknown> {
  switch (command.type) {
    case 'load':
      return runLoad(command.plan)
    case 'load-while-querying': {
      const { result, queryLoop } = await whileQuerying(command.queries, () => runLoad(command.plan))
      return { ...result, queryLoop }
    }
    case 'load-while-scraping': {
      const { result, scrapes } = await whileScraping(command.scrape, () => runLoad(command.plan))
      return { ...result, scrapes }
    }
    case 'scrape':
      return scrapeInTurn(command.url, command.count)
    case 'start-whisperr':
      whisperr ??= await startMockWhisperr({ apiKey: command.apiKey })
      return { url: whisperr.url }
    case 'reset-whisperr':
      requireWhisperr().reset()
      return null
    case 'await-whisperr':
      return awaitWhisperr(command.events, command.timeoutMs)
    case 'start-flywheel':
      flywheel ??= await startMockFlywheel({ apiKey: command.apiKey })
      return { url: flywheel.url }
    case 'reset-upstream':
      resetUpstream(command.vendor, command.latencyMs)
      return null
    case 'await-upstream':
      return awaitUpstream(command.vendor, command.events, command.deadline)
  }
}

function reply(response: PeerResponse): void {
  process.send?.(response)
}

async function handle({ id, ...command }: PeerRequest): Promise<void> {
  try {
    reply({ id, ok: true, value: await execute(command) })
  } catch (error) {
    reply({ id, ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) })
  }
}

process.on('message', (message) => void handle(message as PeerRequest))
process.on('disconnect', () => {
  const mocks = [whisperr, flywheel].map((mock) => mock?.close() ?? Promise.resolve())
  void Promise.all(mocks).finally(() => process.exit(0))
})
process.send?.(PEER_READY)
