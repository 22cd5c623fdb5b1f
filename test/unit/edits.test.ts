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
      JSON.stringify({ ...event, custom_event_name: 'quiz_finished' }),
      NOW
    )
    expect(outcome).toMatchObject({ ok: true, event: { name: 'quiz_finished', userKey: 'ann@example.com' } })
    const broken = acceptEdited(
      connector('embeddables'),
      stored,
      JSON.stringify({ ...event, custom_event_props: '{score' }),
      NOW
    )
    expect(broken).toMatchObject({ ok: false, problems: [{ field: 'custom_event_props' }] })
  })

  it('checks a UserFlux profile as a profile, with its stored query', () => {
    const stored = { kind: 'identify' as const, upstreamParams: '{"locationEnrichment":"false"}' }
    const outcome = acceptEdited(
      connector('userflux'),
      stored,
      '{"userId": "u9", "properties": {"plan": "pro"}}',
      NOW
    )
    expect(outcome).toMatchObject({ ok: true, event: { kind: 'identify', userKey: 'u9' } })
    const anonymous = acceptEdited(connector('userflux'), stored, '{"properties": {}}', NOW)
    expect(anonymous.ok).toBe(false)
  })

  it('refuses a kind the vendor does not store', () => {
    const outcome = acceptEdited(connector('flywheel'), { kind: 'device', upstreamParams: null }, '{}', NOW)
    expect(outcome).toEqual({
      ok: false,
      problems: [{ field: '', reason: 'Flywheel device events cannot be edited' }]
    })
  })

  it('keeps the edit as the person wrote it, trimmed: every digit and the layout', () => {
    const text = '{\n  "userId": "u9",\n  "properties": { "seats": 12345678901234567890, "price": 10.50 }\n}'
    const stored = { kind: 'identify' as const, upstreamParams: null }
    const outcome = acceptEdited(connector('userflux'), stored, `  ${text}\n`, NOW)
    expect(outcome).toMatchObject({ ok: true, event: { payload: text } })
  })

  it('refuses text that is not JSON, or names a prototype key, with the reason', () => {
    const stored = { kind: 'identify' as const, upstreamParams: null }
    expect(acceptEdited(connector('userflux'), stored, '{"userId": "u9",', NOW)).toEqual({
      ok: false,
      problems: [{ field: '', reason: expect.stringMatching(/^is not valid: .*JSON/) }]
    })
    expect(acceptEdited(connector('userflux'), stored, '  ', NOW)).toEqual({
      ok: false,
      problems: [{ field: '', reason: 'is not valid: empty body' }]
    })
    const poisoned = '{"userId": "u9", "properties": {"__proto__": {"admin": true}}}'
    expect(acceptEdited(connector('userflux'), stored, poisoned, NOW)).toEqual({
      ok: false,
      problems: [{ field: '', reason: expect.stringMatching(/prototype poisoning/) }]
    })
  })
})
