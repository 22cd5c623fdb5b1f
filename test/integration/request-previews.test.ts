import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { promisify } from 'node:util'
import { afterEach, describe, expect, it } from 'vitest'
import { curlCommand } from '../../src/shared/curl'
import type { RequestPreview } from '../../src/shared/model'
import { startMockWhisperr, type MockWhisperr } from '../mocks/whisperr'
import { startTestCollector, type TestCollector } from '../support/collector'
import { eventually } from '../support/temp'
import { whisperrEvent } from '../support/whisperr-events'

const CURL = '/usr/bin/curl'
const curlPresent = existsSync(CURL)
if (!curlPresent)
  console.warn(
    `[outpost] skipped: running Copy as curl's commands. ${CURL} not found (apt-get install -y curl)`
  )

/**
 * Runs a command as a person pastes it into a shell; what curl printed (the answer's body). Not
 * synchronously: the collector and the mock it reaches answer on this process's event loop.
 */
async function paste(command: string): Promise<string> {
  // Without the caller's proxy settings: the command must reach 127.0.0.1 itself.
  const { stdout } = await promisify(execFile)('/bin/sh', ['-c', command], {
    encoding: 'utf8',
    env: { PATH: '/usr/bin:/bin' },
    timeout: 10_000
  })
  return stdout
}

const WHISPERR_KEY = 'wrk_live_0123456789abcdef'

let outpost: TestCollector
let upstream: MockWhisperr | undefined

afterEach(async () => {
  await outpost?.close()
  await upstream?.close()
  upstream = undefined
})

const onlyEventId = async () => {
  const { events } = await outpost.api.listEvents({})
  expect(events).toHaveLength(1)
  return events[0]!.id
}

describe('Copy as curl: the upstream request', () => {
  it('is what delivery sends, key masked unless asked for, and the pasted command sends the same', async () => {
    upstream = await startMockWhisperr({ apiKey: WHISPERR_KEY })
    outpost = await startTestCollector({
      destinations: [{ id: 'whisperr', vendor: 'whisperr', baseUrl: upstream.url, apiKey: WHISPERR_KEY }]
    })
    await outpost.api.pauseDestination({ id: 'whisperr' })
    const event = whisperrEvent({ properties: { buyer: "O'Brien", note: 'a "quote" and $HOME' } })
    const text = JSON.stringify(event).replace(
      '"properties":{',
      '"properties":{"order":12345678901234567890,"ratio":1.0,'
    )
    expect((await outpost.post('/whisperr/v1/events/track', text)).status).toBe(202)
    const id = await onlyEventId()

    const masked = await outpost.api.previewUpstreamRequest({ id })
    expect(masked).toMatchObject({
      method: 'POST',
      url: `${upstream.url}/v1/events/batch`,
      headers: { 'user-agent': 'Outpost/0.1', 'content-type': 'application/json', 'x-api-key': '****cdef' },
      body: `{"events":[${text}]}`,
      key: 'masked'
    })
    expect(JSON.stringify(masked)).not.toContain(WHISPERR_KEY)
    expect(masked.notes.join(' ')).toMatch(/together with other waiting track events, up to 500 a request/)
    const revealed = await outpost.api.previewUpstreamRequest({ id, revealKey: true })
    expect(revealed).toMatchObject({
      ...masked,
      key: 'revealed',
      headers: { ...masked.headers, 'x-api-key': WHISPERR_KEY }
    })

    await outpost.api.resumeDestination({ id: 'whisperr' })
    await eventually(() => expect(upstream!.requests).toHaveLength(1))
    const delivered = upstream.requests[0]!
    expect(delivered.body).toBe(revealed.body)
    expect(`${upstream.url}${delivered.path}`).toBe(revealed.url)
    for (const [name, value] of Object.entries(revealed.headers))
      expect(delivered.headers[name], name).toBe(value)

    if (!curlPresent) return
    const answer = await paste(curlCommand(revealed))
    expect(JSON.parse(answer)).toEqual({ accepted: 1, rejected: 0 })
    const pasted = upstream.requests[1]!
    expect([pasted.path, pasted.body]).toEqual([delivered.path, delivered.body])
    for (const name of Object.keys(revealed.headers))
      expect(pasted.headers[name], name).toBe(delivered.headers[name])
  })

  it('says when the destination has no key, and refuses an event that does not exist', async () => {
    outpost = await startTestCollector({ destinations: [{ id: 'whisperr', vendor: 'whisperr' }] })
    expect(
      (await outpost.post('/whisperr/v1/identify', { external_user_id: 'u1', traits: { plan: 'pro' } }))
        .status
    ).toBe(202)
    const preview = await outpost.api.previewUpstreamRequest({ id: await onlyEventId(), revealKey: true })
    expect(preview).toMatchObject({
      url: 'https://api.whisperr.net/v1/identify',
      headers: { 'x-api-key': '<no key set>' },
      body: '{"external_user_id":"u1","traits":{"plan":"pro"}}',
      key: 'missing'
    })
    expect(preview.notes).toEqual([
      'This destination has no vendor key: delivery holds its events until one is set.'
    ])
    await expect(outpost.api.previewUpstreamRequest({ id: 999 })).rejects.toMatchObject({ status: 404 })
  })
})

describe('Copy as curl: the ingest request, reconstructed', () => {
  /** Pastes the ingest command and finds the event it stored: a second one, with the same text. */
  async function pasteAndFindCopy(preview: RequestPreview, original: number) {
    await paste(curlCommand(preview))
    const { events } = await outpost.api.listEvents({})
    const copy = events.find((event) => event.id !== original)
    expect(copy, 'the pasted command stored the event again').toBeDefined()
    return (await outpost.api.getEvent({ id: copy!.id }))!
  }

  it.skipIf(!curlPresent)(
    'rebuilds a UserFlux event of a batch as the one-event route, with its query',
    async () => {
      outpost = await startTestCollector({ destinations: [{ id: 'userflux', vendor: 'userflux' }] })
      const event = `{"userId":"o'hara","name":"signed_up","timestamp":${Date.now()},"properties":{"big":12345678901234567890,"r":1.0}}`
      const batch = `{"events":[${event}]}`
      expect(
        (await outpost.post('/userflux/event/ingest/batch?locationEnrichment=false', batch)).status
      ).toBe(204)
      const id = await onlyEventId()
      const preview = await outpost.api.previewIngestRequest({ id })
      expect(preview).toEqual({
        method: 'POST',
        url: `${outpost.url}/userflux/event/ingest?locationEnrichment=false`,
        headers: { 'content-type': 'application/json' },
        body: event,
        notes: []
      })
      const copy = await pasteAndFindCopy(preview, id)
      expect(copy.receivedPayload).toBe(event)
      const original = (await outpost.api.getEvent({ id }))!
      expect([copy.kind, copy.name, copy.userKey]).toEqual([original.kind, original.name, original.userKey])
    }
  )

  it.skipIf(!curlPresent)('puts an Embeddables project id back in the path, escaped', async () => {
    outpost = await startTestCollector({ destinations: [{ id: 'embeddables', vendor: 'embeddables' }] })
    const event = {
      embeddable_id: 'flow_onboarding',
      timestamp: new Date().toISOString(),
      custom_event_name: 'quiz_completed',
      custom_event_props: JSON.stringify({ answer: "it's" }),
      identifiers: [{ key: 'email', value: JSON.stringify('zoe@test.com') }]
    }
    const project = "proj é'1"
    expect(
      (await outpost.post(`/embeddables/projects/${encodeURIComponent(project)}/events`, event)).status
    ).toBe(200)
    const id = await onlyEventId()
    const preview = await outpost.api.previewIngestRequest({ id })
    expect(preview.url).toBe(`${outpost.url}/embeddables/projects/${encodeURIComponent(project)}/events`)
    const copy = await pasteAndFindCopy(preview, id)
    expect(copy.receivedPayload).toBe(JSON.stringify(event))
    const copyUpstream = await outpost.api.previewUpstreamRequest({ id: copy.id })
    expect(copyUpstream.url).toBe((await outpost.api.previewUpstreamRequest({ id })).url)
  })

  it('tells which header to add where the destination checks ingest keys', async () => {
    outpost = await startTestCollector({
      destinations: [{ id: 'whisperr', vendor: 'whisperr', ingestKeys: ['ingest-key'] }]
    })
    const event = whisperrEvent()
    expect(
      (await outpost.post('/whisperr/v1/events/track', event, { 'x-api-key': 'ingest-key' })).status
    ).toBe(202)
    const preview = await outpost.api.previewIngestRequest({ id: await onlyEventId() })
    expect(preview.url).toBe(`${outpost.url}/whisperr/v1/events/track`)
    expect(preview.notes).toEqual([
      'This destination takes only requests with an ingest key: add it in the header your app sends it in (x-api-key or authorization).'
    ])
  })
})
