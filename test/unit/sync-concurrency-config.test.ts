import { describe, expect, it } from 'vitest'
import { parseConfig } from '../../src/main/config'

const destinations = [{ id: 'flywheel', vendor: 'flywheel' }]

describe('sync.concurrency', () => {
  it('defaults to 32 requests in flight per destination', () => {
    expect(parseConfig({ destinations }).sync.concurrency).toBe(32)
  })

  it('takes 1 to 256, and refuses anything else naming the key', () => {
    expect(parseConfig({ destinations, sync: { concurrency: 1 } }).sync.concurrency).toBe(1)
    expect(parseConfig({ destinations, sync: { concurrency: 256 } }).sync.concurrency).toBe(256)
    for (const concurrency of [0, 257, 2.5, '8']) {
      expect(() => parseConfig({ destinations, sync: { concurrency } })).toThrow(/\/sync\/concurrency/)
    }
  })
})
