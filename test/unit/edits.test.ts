import { describe, expect, it } from 'vitest'
import { connectorFor, connectors } from '../../src/main/connectors'
import { acceptEdited } from '../../src/main/connectors/edits'

const NOW = Date.parse('2026-06-14T12:00:00.000Z')
const connector = (vendor: string) => connectorFor(vendor)!

describe('edited payloads go through the route that accepts their kind', () => {
  it('names a route for every kind of every vendor, and each exists', () => {
    for (const each of connectors) {
      for (const path of Object.values(each.editRoutes)) {
        expect(
          each.routes.map((route) => route.path),
          `${each.vendor} ${path}`
        ).toContain(path)
      }
    }
  })

  it('checks an Embeddables edit with the project id it was stored with', () => {
    const event = {
      embeddable_id: 'flow_1',
      timestamp: '2026-06-14T12:00:00Z',
      custom_event_name: 'quiz_done',
      custom_event_props: '{"score": 9}',
      identifiers: [{ key: 'email', value: '"ann@example.com"' }]
    }
    const stored = { kind: 'track' as const, upstreamParams: '{"projectId":"p1"}' }
    const outcome = acceptEdited(
      connector('embeddables'),
      stored,
      { ...event, custom_event_name: 'quiz_finished' },
      NOW
    )
    expect(outcome).toMatchObject({ ok: true, event: { name: 'quiz_finished', userKey: 'ann@example.com' } })
    const broken = acceptEdited(
      connector('embeddables'),
      stored,
      { ...event, custom_event_props: '{score' },
      NOW
    )
    expect(broken).toMatchObject({ ok: false, problems: [{ field: 'custom_event_props' }] })
  })

  it('checks a UserFlux profile as a profile, with its stored query', () => {
    const stored = { kind: 'identify' as const, upstreamParams: '{"locationEnrichment":"false"}' }
    const outcome = acceptEdited(
      connector('userflux'),
      stored,
      { userId: 'u9', properties: { plan: 'pro' } },
      NOW
    )
    expect(outcome).toMatchObject({ ok: true, event: { kind: 'identify', userKey: 'u9' } })
    const anonymous = acceptEdited(connector('userflux'), stored, { properties: {} }, NOW)
    expect(anonymous.ok).toBe(false)
  })

  it('refuses a kind the vendor does not store', () => {
    const outcome = acceptEdited(connector('flywheel'), { kind: 'device', upstreamParams: null }, {}, NOW)
    expect(outcome).toEqual({
      ok: false,
      problems: [{ field: '', reason: 'Flywheel device events cannot be edited' }]
    })
  })
})
