import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHttpClient } from '../../src/shared/http-client'
import { PERSON_HEADER } from '../../src/shared/person'
import { startTestCollector, type TestCollector } from '../support/collector'
import { whisperrEvent } from '../support/whisperr-events'

/** The console's person, recorded in the history with every correction made over HTTP. */
describe('the web console names its person in the history', () => {
  let outpost: TestCollector
  let id: number

  beforeAll(async () => {
    // No vendor key: the event stays queued, so it can be discarded and resent again and again.
    outpost = await startTestCollector({ destinations: [{ id: 'whisperr', vendor: 'whisperr' }] })
    expect((await outpost.post('/whisperr/v1/events/track', whisperrEvent())).status).toBe(202)
    id = (await outpost.api.listEvents({})).events[0]!.id
  })
  afterAll(() => outpost?.close())

  /** Discards or resends the event (whichever applies) over HTTP with these headers. */
  async function correct(headers: Record<string, string>): Promise<Response> {
    const { status } = (await outpost.api.getEvent({ id }))!
    const path = status === 'discarded' ? '/api/events/resend' : '/api/events/discard'
    return fetch(outpost.url + path, {
      method: 'POST',
      headers: { authorization: 'Bearer test-token', 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ ids: [id] })
    })
  }
  const latestActor = async () => (await outpost.api.getEvent({ id }))!.history[0]?.actor
  const historyLength = async () => (await outpost.api.getEvent({ id }))!.history.length

  it('records "web console" when no name was given', async () => {
    expect((await correct({})).status).toBe(200)
    expect(await latestActor()).toBe('web console')
  })

  it('records the name given, percent-encoded UTF-8, as "<name> (web console)"', async () => {
    const response = await correct({ [PERSON_HEADER]: encodeURIComponent('  Zoë Åberg-Nuñez 李 ') })
    expect(response.status).toBe(200)
    expect(await latestActor()).toBe('Zoë Åberg-Nuñez 李 (web console)')
  })

  it('sends the name with every call of the HTTP client, read as the call is made', async () => {
    let name = 'Ann'
    const client = createHttpClient({
      baseUrl: outpost.url,
      token: 'test-token',
      headers: () => ({ [PERSON_HEADER]: encodeURIComponent(name) })
    })
    const discardOrResend = async () => {
      const { status } = (await outpost.api.getEvent({ id }))!
      const outcome = await (status === 'discarded'
        ? client.resendEvents({ ids: [id] })
        : client.discardEvents({ ids: [id] }))
      expect(outcome.changed).toEqual([id])
    }
    await discardOrResend()
    expect(await latestActor()).toBe('Ann (web console)')
    name = 'Bo'
    await discardOrResend()
    expect(await latestActor()).toBe('Bo (web console)')
  })

  it.each([
    ['an empty name', '', /is empty/],
    ['only spaces', '   ', /is empty/],
    ['a name over 64 characters', 'é'.repeat(65), /longer than 64 characters/],
    ['a tab', 'Ann\tLee', /control character/],
    ['a line break', 'Ann\nadmin edited', /control character/],
    ['an escape sequence', 'Ann\u001b[31m', /control character/],
    ['a DEL', 'Ann\u007f', /control character/],
    ['a right-to-left override', 'Ann\u202Enimda', /control character/]
  ])('refuses %s with a 400 that says why, and changes nothing', async (_what, name, reason) => {
    const before = await historyLength()
    const response = await correct({ [PERSON_HEADER]: encodeURIComponent(name) })
    expect(response.status).toBe(400)
    const body = (await response.json()) as { error: string; message: string }
    expect(body.error).toBe('invalid_input')
    expect(body.message).toMatch(new RegExp(`^The ${PERSON_HEADER} header .*`))
    expect(body.message).toMatch(reason)
    expect(await historyLength()).toBe(before)
  })

  it('refuses a header that is not percent-encoded UTF-8', async () => {
    const response = await correct({ [PERSON_HEADER]: 'Ann%E0%A4%A' })
    expect(response.status).toBe(400)
    expect(((await response.json()) as { message: string }).message).toMatch(/percent-encoded UTF-8/)
  })

  it('takes 64 characters, counted as characters rather than UTF-16 units', async () => {
    const longest = '😀'.repeat(64)
    expect((await correct({ [PERSON_HEADER]: encodeURIComponent(longest) })).status).toBe(200)
    expect(await latestActor()).toBe(`${longest} (web console)`)
  })
})
