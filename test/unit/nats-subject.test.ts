import { describe, expect, it } from 'vitest'
import { parseSubjectTemplate, subjectToken, templateProblem } from '../../src/main/nats/subject'

const values = {
  deviceId: 'kiosk-1',
  destination: 'whisperr',
  vendor: 'whisperr',
  kind: 'track',
  name: 'feature_used'
}
const subject = (template: string, overrides: Partial<typeof values> = {}) =>
  parseSubjectTemplate(template).subjectFor({ ...values, ...overrides })

describe('NATS subjects', () => {
  it('fills the default template with one token per placeholder', () => {
    expect(subject('outpost.{deviceId}.{destination}.{name}')).toBe('outpost.kiosk-1.whisperr.feature_used')
    expect(subject('ev.{vendor}-{kind}.{name}')).toBe('ev.whisperr-track.feature_used')
  })

  it('keeps the shape whatever a name holds: dots, spaces, wildcards and % are escaped', () => {
    const names = ['checkout.done', 'a b', '*', '>', 'orders.>', 'tab\there', '50%', '', 'ümlaut', 'x\r\ny']
    const subjects = names.map((name) => subject('outpost.{deviceId}.{name}', { name }))
    for (const built of subjects) {
      const tokens = built.split('.')
      expect(tokens).toHaveLength(3)
      for (const token of tokens) expect(token).toMatch(/^[A-Za-z0-9_%~-]+$/)
    }
    expect(subjects.slice(0, 3)).toEqual([
      'outpost.kiosk-1.checkout%2Edone',
      'outpost.kiosk-1.a%20b',
      'outpost.kiosk-1.%2A'
    ])
    expect(subjectToken('50%')).toBe('50%25')
    expect(subjectToken('')).toBe('%')
    expect(subjectToken('ü')).toBe('%C3%BC')
  })

  it('gives two different names two different tokens (the escape is reversible)', () => {
    const names = ['a.b', 'a%2Eb', 'a_b', 'a b', 'a%20b', 'ab', '_', '']
    const tokens = names.map(subjectToken)
    expect(new Set(tokens).size).toBe(names.length)
  })

  it('cuts a very long value with a hash of the whole, so two long names still differ', () => {
    const long = 'x'.repeat(500)
    const token = subjectToken(long)
    expect(token.length).toBe(200)
    expect(token).not.toBe(subjectToken(`${long}y`))
  })

  it('refuses templates that would not make a valid subject', () => {
    expect(templateProblem('outpost.{deviceId}.{name}')).toBeNull()
    expect(templateProblem('outpost..{name}')).toMatch(/empty token/)
    expect(templateProblem('outpost.*.{name}')).toMatch(/outside placeholders/)
    expect(templateProblem('outpost.>')).toMatch(/outside placeholders/)
    expect(templateProblem('outpost.{user}')).toMatch(/\{user\} is no placeholder/)
    expect(templateProblem('out post.{name}')).toMatch(/outside placeholders/)
    expect(() => parseSubjectTemplate('a..b')).toThrow(/empty token/)
  })
})
