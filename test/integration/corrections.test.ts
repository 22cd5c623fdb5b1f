import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ApiRequestError } from '../../src/shared/http-client'
import { startMockWhisperr, type MockWhisperr } from '../mocks/whisperr'
import { startTestCollector, type TestCollector } from '../support/collector'
import { eventually } from '../support/temp'
import { messageIdOf, whisperrEvent } from '../support/whisperr-events'

describe('support corrections: edit, resend, discard', () => {
  let upstream: MockWhisperr
  let outpost: TestCollector

  beforeEach(async () => {
    upstream = await startMockWhisperr({ apiKey: 'k' })
    outpost = await startTestCollector({
      destinations: [{ id: 'whisperr', vendor: 'whisperr', baseUrl: upstream.url, apiKey: 'k' }],
      storage: { maxEvents: 3 }
    })
  })
  afterEach(async () => {
    await outpost.close()
    await upstream.close()
  })

  const idsWith = async (status: 'failed' | 'sent' | 'queued' | 'discarded') =>
    (await outpost.api.listEvents({ status })).events.map((event) => event.id)
  const failed = () =>
    eventually(async () => {
      const ids = await idsWith('failed')
      expect(ids.length).toBeGreaterThan(0)
      return ids
    })
  const apiError = async (call: Promise<unknown>) => {
    const error = (await call.then(
      () => null,
      (e: unknown) => e
    )) as ApiRequestError | null
    if (!error) throw new Error('expected the call to fail')
    return error
  }

  it('edits a failed event under the vendor rules, keeps what was received, and resends it with its message id', async () => {
    upstream.failNext(1, { type: 'status', status: 422, body: { error: 'plan_unknown' } })
    const original = whisperrEvent({ event_type: 'plan_changed', properties: { plan: 'platnum' } })
    await outpost.post('/whisperr/v1/events/track', original)
    const [id] = await failed()

    const refused = await apiError(
      outpost.api.editPayload({
        id: id!,
        payload: JSON.stringify({ ...original, event_type: 'Plan Changed' })
      })
    )
    expect(refused).toMatchObject({ status: 400, code: 'invalid_input' })
    expect(refused.problems).toEqual([{ field: 'event_type', reason: expect.stringMatching(/snake_case/) }])
    const unparsable = await apiError(outpost.api.editPayload({ id: id!, payload: '{"event_type": ' }))
    expect(unparsable).toMatchObject({ status: 400, code: 'invalid_input' })
    expect(unparsable.problems).toEqual([{ field: '', reason: expect.stringMatching(/^is not valid: /) }])

    // The edit is kept and sent as the person wrote it: layout, and every digit of a big integer.
    const fixed = { ...original, event_type: 'plan_upgraded', properties: { plan: 'platinum', seats: 0 } }
    const fixedText = JSON.stringify(fixed, null, 2).replace('"seats": 0', '"seats": 12345678901234567890')
    const detail = await outpost.api.editPayload({ id: id!, payload: fixedText })
    expect(detail).toMatchObject({
      revision: 1,
      name: 'plan_upgraded',
      payload: fixedText,
      receivedPayload: JSON.stringify(original)
    })
    expect(detail.history[0]).toMatchObject({ action: 'edit', actor: 'web console' })
    expect(detail.history[0]!.before).toBe(JSON.stringify(original))

    expect(await outpost.api.resendEvents({ ids: [id!] })).toEqual({ changed: [id], skipped: [] })
    await eventually(() =>
      expect(upstream.received.get(messageIdOf(original))).toEqual(JSON.parse(fixedText))
    )
    expect(upstream.requests.at(-1)?.body).toBe(`{"events":[${fixedText}]}`)
    const after = await outpost.api.getEvent({ id: id! })
    expect(after?.status).toBe('sent')
    expect(after?.history.map((action) => action.action)).toEqual(['resend', 'edit'])
    expect(after?.history[0]).toMatchObject({ before: 'failed', after: 'queued' })

    const late = await apiError(outpost.api.editPayload({ id: id!, payload: fixedText }))
    expect(late).toMatchObject({ status: 409, code: 'conflict', message: expect.stringMatching(/is sent/) })
  })

  it('resends every event of one failed request by its attempt', async () => {
    upstream.failNext(1, { type: 'status', status: 422 })
    const events = [whisperrEvent(), whisperrEvent(), whisperrEvent()]
    await outpost.post('/whisperr/v1/events/batch', { events })
    const ids = await eventually(async () => {
      const found = await idsWith('failed')
      expect(found).toHaveLength(3)
      return found
    })
    const attemptId = (await outpost.api.getEvent({ id: ids[0]! }))!.attemptsLog[0]!.id

    const outcome = await outpost.api.resendEvents({ attemptId })
    expect([...outcome.changed].sort()).toEqual([...ids].sort())
    await eventually(() => expect(upstream.received.size).toBe(3))
    expect([...upstream.deliveries.values()]).toEqual([1, 1, 1])
  })

  it('discards waiting events, frees their room in the outbox, and can bring them back', async () => {
    await outpost.api.pauseDestination({ id: 'whisperr' })
    for (let n = 0; n < 3; n++)
      expect((await outpost.post('/whisperr/v1/events/track', whisperrEvent())).status).toBe(202)
    expect((await outpost.post('/whisperr/v1/events/track', whisperrEvent())).status).toBe(503)

    const [newest, ...older] = await idsWith('queued')
    expect(await outpost.api.discardEvents({ ids: [newest!, 9_999] })).toEqual({
      changed: [newest],
      skipped: [9_999]
    })
    expect((await outpost.post('/whisperr/v1/events/track', whisperrEvent())).status).toBe(202)
    expect((await outpost.api.getEvent({ id: newest! }))?.history[0]).toMatchObject({
      action: 'discard',
      before: 'queued',
      after: 'discarded'
    })

    expect(await outpost.api.resendEvents({ ids: [...older, newest!] })).toEqual({
      changed: [newest],
      skipped: older
    })
    await outpost.api.resumeDestination({ id: 'whisperr' })
    await eventually(async () => expect(await idsWith('sent')).toHaveLength(4))
    expect(await idsWith('discarded')).toEqual([])
  })

  it('refuses a resend that names both ids and an attempt, and an edit of an unknown event', async () => {
    await expect(outpost.api.resendEvents({ ids: [1], attemptId: 1 } as never)).rejects.toThrow(
      /Invalid input/
    )
    expect(await apiError(outpost.api.editPayload({ id: 424_242, payload: '{}' }))).toMatchObject({
      status: 404
    })
  })
})
