import { describe, expect, it } from 'vitest'
import { ConfigError, keyFingerprint, parseConfig } from '../../src/main/config'
import { probeDelay } from '../../src/main/sync/backoff'

const destinations = [{ id: 'whisperr', vendor: 'whisperr' }]

describe('sync.authRetryBaseMs and sync.authRetryMaxMs', () => {
  it('default to probing a refused key after 5 minutes, growing to 15', () => {
    expect(parseConfig({ destinations }).sync).toMatchObject({
      authRetryBaseMs: 300_000,
      authRetryMaxMs: 900_000
    })
    expect(
      parseConfig({ destinations, sync: { authRetryBaseMs: 60_000, authRetryMaxMs: 120_000 } }).sync
    ).toMatchObject({ authRetryBaseMs: 60_000, authRetryMaxMs: 120_000, backoffBaseMs: 1_000 })
  })

  it('refuses a max below the base, a non-integer, and a delay no timer can hold', () => {
    const parse = (sync: Record<string, unknown>) => () => parseConfig({ destinations, sync }, 'outpost.json')
    expect(parse({ authRetryBaseMs: 600_000, authRetryMaxMs: 300_000 })).toThrow(
      'outpost.json is not a valid Outpost config: /sync/authRetryMaxMs (300000) must not be below /sync/authRetryBaseMs (600000)'
    )
    // Only the base set, above the default max: the max must be raised with it.
    expect(parse({ authRetryBaseMs: 1_200_000 })).toThrow(ConfigError)
    expect(parse({ authRetryBaseMs: 0.5 })).toThrow(/authRetryBaseMs must be integer/)
    expect(parse({ authRetryMaxMs: 2 ** 31 })).toThrow(/authRetryMaxMs must be <= 2147483647/)
  })
})

describe('probeDelay', () => {
  const options = { baseMs: 300_000, maxMs: 900_000 }

  it('doubles from the base with each refusal, up to the max', () => {
    const steps = [0, 1, 2, 10, 100].map((refusals) => probeDelay(refusals, options, () => 0))
    expect(steps).toEqual([300_000, 600_000, 900_000, 900_000, 900_000])
  })

  it('jitters by at most a fifth, never more than the step', () => {
    expect(probeDelay(0, options, () => 1)).toBe(240_000)
    expect(probeDelay(5, options, () => 0.5)).toBe(810_000)
  })
})

describe('keyFingerprint', () => {
  it('names a key by 16 hex digits of its SHA-256, the same for the same key', () => {
    expect(keyFingerprint('wk_live_abc')).toMatch(/^[0-9a-f]{16}$/)
    expect(keyFingerprint('wk_live_abc')).toBe(keyFingerprint('wk_live_abc'))
    expect(keyFingerprint('wk_live_abc')).not.toBe(keyFingerprint('wk_live_abd'))
    // sha256("abc") = ba7816bf8f01cfea...
    expect(keyFingerprint('abc')).toBe('ba7816bf8f01cfea')
  })
})
