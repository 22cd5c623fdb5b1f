import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ApiRequestError, exportDownloadUrl } from '../../src/shared/http-client'
import type { EventFilter, ExportedEvent } from '../../src/shared/model'
import { startTestCollector, type TestCollector } from '../support/collector'
import { eventually } from '../support/temp'
import { whisperrEvent } from '../support/whisperr-events'

const BEARER = { authorization: 'Bearer test-token' }

describe('the name and user filters over the admin API', () => {
  let outpost: TestCollector

  beforeAll(async () => {
    // No key: every event stays queued, for the filters and a discard to find.
    outpost = await startTestCollector({ destinations: [{ id: 'keyless', vendor: 'whisperr' }] })
    const events = [
      ...Array.from({ length: 5 }, () => whisperrEvent({ event_type: 'signup', external_user_id: 'ann' })),
      ...Array.from({ length: 3 }, () => whisperrEvent({ event_type: 'signup', external_user_id: 'bob' })),
      ...Array.from({ length: 4 }, () => whisperrEvent({ event_type: 'checkout', external_user_id: 'ann' })),
      // Neither filter matches a part, nor a user key in another case.
      whisperrEvent({ event_type: 'sign_up', external_user_id: 'annie' }),
      whisperrEvent({ event_type: 'signup_done', external_user_id: 'Ann' })
    ]
    const stored = await outpost.post('/keyless/v1/events/batch', { events })
    expect(stored.status, JSON.stringify(stored.body)).toBe(202)
    await eventually(async () => expect((await outpost.api.countEvents({})).count).toBe(14))
  })
  afterAll(() => outpost?.close())

  const exportedOf = async (filter: EventFilter) => {
    const response = await fetch(`${outpost.url}${exportDownloadUrl(filter, 'ndjson')}`, { headers: BEARER })
    expect(response.status).toBe(200)
    return (await response.text())
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as ExportedEvent)
  }

  it('lists, counts and exports exactly the events of a name, of a user, and of both', async () => {
    const cases: [EventFilter, number][] = [
      [{ name: 'signup' }, 8],
      [{ user: 'ann' }, 9],
      [{ name: 'signup', user: 'ann' }, 5],
      [{ name: 'checkout', user: 'bob' }, 0]
    ]
    for (const [filter, count] of cases) {
      const described = JSON.stringify(filter)
      const matches = (event: { name: string; userKey: string | null }) =>
        (filter.name === undefined || event.name === filter.name) &&
        (filter.user === undefined || event.userKey === filter.user)
      expect(await outpost.api.countEvents(filter), described).toEqual({ count, exact: true })
      const { events } = await outpost.api.listEvents({ ...filter, limit: 100 })
      expect(events, described).toHaveLength(count)
      expect(events.every(matches), described).toBe(true)
      const exported = count === 0 ? [] : await exportedOf(filter)
      expect(
        exported.map((event) => event.id),
        described
      ).toEqual(events.map((event) => event.id))
    }
  })

  it('suggests each stored event name once', async () => {
    expect(await outpost.api.listEventNames({})).toEqual(['checkout', 'sign_up', 'signup', 'signup_done'])
    expect(await outpost.api.listEventNames({ limit: 2 })).toEqual(['checkout', 'sign_up'])
  })

  it("previews and runs a bulk discard of one user's events of one name, leaving every other event", async () => {
    const filter = { name: 'signup', user: 'bob' }
    const preview = await outpost.api.previewBulkAction({ action: 'discard', filter })
    expect(preview.count).toBe(3)
    const started = await outpost.api.startBulkAction({
      action: 'discard',
      filter,
      throughId: preview.throughId,
      expected: preview.count
    })
    await eventually(async () =>
      expect((await outpost.api.getBulkAction({ id: started.id })).state).toBe('done')
    )
    const discarded = (await outpost.api.listEvents({ status: 'discarded', limit: 100 })).events
    expect(discarded.map((event) => [event.name, event.userKey])).toEqual(Array(3).fill(['signup', 'bob']))
    expect((await outpost.api.countEvents({ status: 'queued' })).count).toBe(11)
    await outpost.api.undoBulkDiscard({ id: started.id })
  })

  it('refuses an empty name or user, naming the field', async () => {
    for (const field of ['name', 'user']) {
      const response = await fetch(`${outpost.url}/api/events/count?${field}=`, { headers: BEARER })
      expect(response.status).toBe(400)
      expect(JSON.stringify(await response.json())).toContain(field)
    }
    await expect(outpost.api.countEvents({ user: 'x'.repeat(1001) })).rejects.toBeInstanceOf(ApiRequestError)
  })
})
