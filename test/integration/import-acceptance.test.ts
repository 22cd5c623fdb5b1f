import { openAsBlob } from 'node:fs'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ImportProgress, ImportSummary } from '../../src/shared/model'
import { uploadImport } from '../../src/shared/http-client'
import { startMockEmbeddables, type MockEmbeddables } from '../mocks/embeddables'
import { startMockFlywheel, type MockFlywheel } from '../mocks/flywheel'
import { startMockWeespin, type MockWeespin } from '../mocks/weespin'
import { startMockWhisperr, type MockWhisperr } from '../mocks/whisperr'
import type { MockUpstream } from '../mocks/mock-upstream'
import { startTestCollector, type TestCollector } from '../support/collector'
import { eventually, tempDir } from '../support/temp'
import { whisperrEvent } from '../support/whisperr-events'

const KEYS = {
  whisperr: 'k-whisperr',
  flywheel: 'k-flywheel',
  embeddables: 'rk_embeddables',
  weespin: 'k-weespin'
}
/** Digits JavaScript would round, and a number written as `1.0`: they must arrive as the app wrote them. */
const exact = (text: string) => text.replace('"n":0', '"n":12345678901234567890,"ratio":1.0')

/** The bodies an upstream accepted (2xx), in the order they came. */
const acceptedBodies = (upstream: MockUpstream) =>
  upstream.requests.filter((request) => request.status !== null && request.status < 300).map((r) => r.body)

/** How many times `text` occurs in all of `bodies`. */
const occurrences = (bodies: string[], text: string) =>
  bodies.reduce((count, body) => count + body.split(text).length - 1, 0)

describe('import: a kiosk that never got online hands its events to a collector that does', () => {
  const dir = tempDir('outpost-import')
  let kiosk: TestCollector
  let online: TestCollector
  let whisperr: MockWhisperr
  let flywheel: MockFlywheel
  let embeddables: MockEmbeddables
  let weespin: MockWeespin
  /** What the kiosk's apps sent, each as its own text. */
  const sent = {
    whisperr: [] as string[],
    identify: '',
    flywheel: [] as string[],
    embeddables: [] as string[]
  }
  let registration = ''
  let weespinEvents: string[] = []
  let provisionalId = ''
  let exportFile = ''
  let exportedLines = 0

  beforeAll(async () => {
    whisperr = await startMockWhisperr({ apiKey: KEYS.whisperr })
    flywheel = await startMockFlywheel({ apiKey: KEYS.flywheel })
    embeddables = await startMockEmbeddables({ apiKey: KEYS.embeddables })
    weespin = await startMockWeespin({ apiKey: KEYS.weespin })
    // The kiosk: no vendor keys, every destination paused. Nothing it takes leaves it.
    kiosk = await startTestCollector({
      destinations: ['whisperr', 'flywheel', 'embeddables', 'weespin'].map((vendor) => ({
        id: vendor,
        vendor
      }))
    })
    for (const id of ['whisperr', 'flywheel', 'embeddables', 'weespin'])
      await kiosk.api.pauseDestination({ id })
    online = await startTestCollector({
      destinations: [
        { id: 'whisperr', vendor: 'whisperr', baseUrl: whisperr.url, apiKey: KEYS.whisperr },
        { id: 'flywheel', vendor: 'flywheel', baseUrl: flywheel.url, apiKey: KEYS.flywheel },
        { id: 'embeddables', vendor: 'embeddables', baseUrl: embeddables.url, apiKey: KEYS.embeddables },
        { id: 'weespin', vendor: 'weespin', baseUrl: weespin.url, apiKey: KEYS.weespin }
      ]
    })

    const post = async (path: string, text: string) => {
      const { status, body } = await kiosk.post(path, text)
      expect(status, path).toBeLessThan(300)
      return body
    }
    sent.whisperr = Array.from({ length: 5 }, (_, i) =>
      exact(JSON.stringify(whisperrEvent({ external_user_id: `user_${i % 2}`, properties: { n: 0 } })))
    )
    await post('/whisperr/v1/events/batch', `{"events":[${sent.whisperr.slice(0, 4).join(',')}]}`)
    sent.identify = '{"external_user_id":"user_1","traits":{"plan":"pro"}}'
    await post('/whisperr/v1/identify', sent.identify)
    await post('/whisperr/v1/events/track', sent.whisperr[4]!)
    // Two equal purchases are two purchases: both must arrive, once each.
    const purchase = exact('{"event":{"event":"purchase","user_id":"u_9","properties":{"n":0}}}')
    sent.flywheel = [
      purchase,
      purchase,
      '{"event":{"event":"lesson_completed","user_id":"u_9","properties":{}}}'
    ]
    for (const text of sent.flywheel) await post('/flywheel/v1/events', text)
    sent.embeddables = [1, 2].map(
      (score) =>
        `{"embeddable_id":"flow_1","timestamp":"2026-06-14T12:00:0${score}.000Z","custom_event_name":"quiz_completed","custom_event_props":"{\\"score\\":${score}}","identifiers":[{"key":"email","value":"\\"a@b.co\\""}]}`
    )
    for (const text of sent.embeddables) await post('/embeddables/projects/proj_1/events', text)
    // A device registered offline: its events carry the provisional id the kiosk answered.
    registration = '{"platform":"android","os":"14"}'
    const answer = (await post('/weespin/initialize-device', registration)) as {
      event: { device_info: { device_id: string } }
    }
    provisionalId = answer.event.device_info.device_id
    expect(provisionalId).toMatch(/^local_/)
    weespinEvents = [1, 2, 3].map(
      (n) => `{"event_name":"add_to_cart","device_id":"${provisionalId}","payload":{"n":${n},"sku":"A-${n}"}}`
    )
    for (const text of weespinEvents) await post('/weespin/events', text)

    // The kiosk's export, as a person downloads it; a line damaged in transit among them.
    const response = await fetch(`${kiosk.url}/api/events/export?format=ndjson`, {
      headers: { authorization: 'Bearer test-token' }
    })
    const lines = (await response.text()).trimEnd().split('\n')
    exportedLines = lines.length
    lines.splice(2, 0, '{"id":17,"destination":"whisperr","kind":"tr')
    exportFile = join(dir.path, 'kiosk.ndjson')
    writeFileSync(exportFile, `${lines.join('\n')}\n`)
  })
  afterAll(async () => {
    await online?.close()
    await kiosk?.close()
    for (const upstream of [whisperr, flywheel, embeddables, weespin]) await upstream?.close()
    dir.remove()
  })

  const importFile = async (progress: ImportProgress[] = []): Promise<ImportSummary> =>
    uploadImport({ baseUrl: online.url, token: 'test-token' }, await openAsBlob(exportFile), {}, (update) =>
      progress.push(update)
    )

  it('delivers every event exactly once, byte for byte, and reports the damaged line by its number', async () => {
    expect(exportedLines).toBe(15)
    const summary = await importFile()
    expect(summary).toEqual({
      lines: 16,
      imported: 15,
      duplicates: 0,
      delivered: 0,
      discarded: 0,
      refused: 1,
      problems: [{ line: 3, reason: expect.stringMatching(/^is not JSON: /) }],
      unlistedProblems: 0,
      unmatched: [],
      stopped: null
    })

    await whisperr.waitForEvents(5)
    await flywheel.waitForEvents(3)
    await embeddables.waitForEvents(2)
    await weespin.waitForEvents(3)
    await eventually(async () => expect((await online.api.getStats({})).counts.sent).toBe(15))

    // Whisperr: each track in one accepted batch, as the app wrote it; the identify once.
    const whisperrBodies = acceptedBodies(whisperr)
    for (const text of sent.whisperr) expect(occurrences(whisperrBodies, text)).toBe(1)
    expect(whisperr.duplicateMessageIds()).toEqual([])
    expect(whisperrBodies.filter((body) => body === sent.identify)).toHaveLength(1)
    // Flywheel and Embeddables take one event a request: each body is the app's text.
    expect(acceptedBodies(flywheel).sort()).toEqual([...sent.flywheel].sort())
    expect(acceptedBodies(embeddables).sort()).toEqual([...sent.embeddables].sort())
    expect(embeddables.requests.every((request) => request.path === '/projects/proj_1/events')).toBe(true)
    // Weespin: the registration first, then the device's events under the id Weespin gave it.
    const realId = [...weespin.devices.keys()][0]!
    expect(weespin.devices.size).toBe(1)
    expect(acceptedBodies(weespin)).toEqual([
      registration,
      ...weespinEvents.map((text) => text.replace(provisionalId, realId))
    ])
  })

  it('adds nothing when the same file is imported again', async () => {
    const before = (await online.api.getStats({})).counts
    const requests = [whisperr, flywheel, embeddables, weespin].map((upstream) => upstream.requests.length)
    const summary = await importFile()
    expect(summary).toMatchObject({ lines: 16, imported: 0, duplicates: 15, refused: 1 })
    expect((await online.api.getStats({})).counts).toEqual(before)
    expect([whisperr, flywheel, embeddables, weespin].map((upstream) => upstream.requests.length)).toEqual(
      requests
    )
  })
  it('takes a later export of the same kiosk: only what is new, a device already registered under its real id', async () => {
    const later = `{"event_name":"purchase","device_id":"${provisionalId}","payload":{"n":4}}`
    expect((await kiosk.post('/weespin/events', later)).status).toBe(200)
    const response = await fetch(`${kiosk.url}/api/events/export?format=ndjson`, {
      headers: { authorization: 'Bearer test-token' }
    })
    const laterFile = join(dir.path, 'kiosk-later.ndjson')
    writeFileSync(laterFile, await response.text())
    const summary = await uploadImport(
      { baseUrl: online.url, token: 'test-token' },
      await openAsBlob(laterFile),
      {},
      () => undefined
    )
    expect(summary).toMatchObject({ lines: 16, imported: 1, duplicates: 15, refused: 0 })
    await weespin.waitForEvents(4)
    const realId = [...weespin.devices.keys()][0]!
    expect(acceptedBodies(weespin).at(-1)).toBe(later.replace(provisionalId, realId))
  })
})
