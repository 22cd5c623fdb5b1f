/**
 * The peer process of a benchmark: the apps' load generator and the vendor's mock upstream, out of
 * the process under test so that each has a core of its own. Started by bench/support/peer.ts
 * through peer-launcher.mjs; takes commands over IPC and exits when its parent goes away.
 */
import { startMockWhisperr, type MockWhisperr } from '../../test/mocks/whisperr'
import { runLoad } from './load-generator'
import {
  PEER_READY,
  type PeerCommand,
  type PeerRequest,
  type PeerResponse,
  type UpstreamReport
} from './peer-protocol'

let whisperr: MockWhisperr | null = null

function requireWhisperr(): MockWhisperr {
  if (!whisperr) throw new Error('start-whisperr first')
  return whisperr
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

async function execute(command: PeerCommand): Promise<unknown> {
  switch (command.type) {
    case 'load':
      return runLoad(command.plan)
    case 'start-whisperr':
      whisperr ??= await startMockWhisperr({ apiKey: command.apiKey })
      return { url: whisperr.url }
    case 'reset-whisperr':
      requireWhisperr().reset()
      return null
    case 'await-whisperr':
      return awaitWhisperr(command.events, command.timeoutMs)
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
  void (whisperr?.close() ?? Promise.resolve()).finally(() => process.exit(0))
})
process.send?.(PEER_READY)
