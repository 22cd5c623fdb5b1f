import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest'
import { startMockUserFlux, type MockUserFlux } from '../mocks/userflux'
import { startMockWhisperr, type MockWhisperr } from '../mocks/whisperr'
import { startTestCollector, type TestCollector } from './collector'

export interface WhisperrAndUserFlux {
  readonly whisperr: MockWhisperr
  readonly userflux: MockUserFlux
  /** Delivers to both, as destinations "whisperr" and "userflux". */
  readonly outpost: TestCollector
}

/**
 * A mock Whisperr and a mock UserFlux, each taking only its own key, and an Outpost delivering to
 * both: started before each test of the calling block (or once for all of them) and closed after.
 * Read the members inside a test or hook.
 */
export function useWhisperrAndUserFlux(
  keys: { whisperr: string; userflux: string },
  lifetime: 'each test' | 'all tests' = 'each test'
): WhisperrAndUserFlux {
  let running: WhisperrAndUserFlux | undefined
  const [before, after] = lifetime === 'each test' ? [beforeEach, afterEach] : [beforeAll, afterAll]
  before(async () => {
    const whisperr = await startMockWhisperr({ apiKey: keys.whisperr })
    const userflux = await startMockUserFlux({ apiKey: keys.userflux })
    const outpost = await startTestCollector({
      destinations: [
        { id: 'whisperr', vendor: 'whisperr', baseUrl: whisperr.url, apiKey: keys.whisperr },
        { id: 'userflux', vendor: 'userflux', baseUrl: userflux.url, apiKey: keys.userflux }
      ]
    })
    running = { whisperr, userflux, outpost }
  })
  after(async () => {
    await running?.outpost.close()
    await running?.whisperr.close()
    await running?.userflux.close()
    running = undefined
  })
  const current = (): WhisperrAndUserFlux => {
    if (!running) throw new Error('useWhisperrAndUserFlux: read only inside a test or hook')
    return running
  }
  return {
    get whisperr() {
      return current().whisperr
    },
    get userflux() {
      return current().userflux
    },
    get outpost() {
      return current().outpost
    }
  }
}
