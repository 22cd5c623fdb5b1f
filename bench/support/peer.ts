import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll } from 'vitest'
import { PEER_READY, type PeerCommand, type PeerReplies, type PeerResponse } from './peer-protocol'

const LAUNCHER = fileURLToPath(new URL('./peer-launcher.mjs', import.meta.url))
const START_TIMEOUT_MS = 30_000

export interface Peer {
  call<C extends PeerCommand>(command: C): Promise<PeerReplies[C['type']]>
  close(): Promise<void>
}

interface Pending {
  resolve(value: unknown): void
  reject(error: Error): void
}

function waitUntilReady(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    const settle = (error: Error | null) => {
      clearTimeout(timer)
      child.off('exit', onExit)
      if (error) reject(error)
      else resolve()
    }
    const onExit = (code: number | null) =>
      settle(new Error(`the bench peer exited while starting (code ${code})`))
    const timer = setTimeout(() => {
      child.kill()
      settle(new Error('the bench peer did not start in time'))
    }, START_TIMEOUT_MS)
    child.once('exit', onExit)
    child.once('message', (message) =>
      settle(
        message === PEER_READY
          ? null
          : new Error(`unexpected first message from the bench peer: ${JSON.stringify(message)}`)
      )
    )
  })
}

/**
 * Forks the peer process (load generator and mock upstream) with the runtime running the bench:
 * under Electron-as-Node the inherited ELECTRON_RUN_AS_NODE makes the child a Node process too.
 */
export async function startPeer(): Promise<Peer> {
  const child = fork(LAUNCHER, [], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  await waitUntilReady(child)

  const pending = new Map<number, Pending>()
  let nextId = 1
  child.on('message', (message) => {
    const response = message as PeerResponse
    const waiter = pending.get(response.id)
    pending.delete(response.id)
    if (response.ok) waiter?.resolve(response.value)
    else waiter?.reject(new Error(`bench peer: ${response.error}`))
  })
  child.on('exit', (code) => {
    for (const waiter of pending.values()) waiter.reject(new Error(`the bench peer exited (code ${code})`))
    pending.clear()
  })

  return {
    call<C extends PeerCommand>(command: C): Promise<PeerReplies[C['type']]> {
      const id = nextId++
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve: (value) => resolve(value as PeerReplies[C['type']]), reject })
        child.send({ ...command, id })
      })
    },
    async close(): Promise<void> {
      if (child.exitCode !== null || !child.connected) return
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
      // The peer closes its mock upstream and exits when the IPC channel closes.
      child.disconnect()
      await exited
    }
  }
}

export interface PeerWithWhisperr {
  readonly peer: Peer
  /** The peer's mock Whisperr, taking the key given. */
  readonly upstreamUrl: string
}

/**
 * One peer process, with its mock Whisperr started, for all the tests of the calling describe
 * block; closed after them. Read the members inside a test.
 */
export function usePeerWithWhisperr(apiKey: string): PeerWithWhisperr {
  let running: PeerWithWhisperr | undefined
  let peer: Peer | undefined
  beforeAll(async () => {
    peer = await startPeer()
    running = { peer, upstreamUrl: (await peer.call({ type: 'start-whisperr', apiKey })).url }
  })
  afterAll(async () => {
    await peer?.close()
  })
  const current = (): PeerWithWhisperr => {
    if (!running) throw new Error('usePeerWithWhisperr: read only inside a test or hook')
    return running
  }
  return {
    get peer() {
      return current().peer
    },
    get upstreamUrl() {
      return current().upstreamUrl
    }
  }
}
