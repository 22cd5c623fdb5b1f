import { describe, expect, it } from 'vitest'
import { externalAddresses, watchNetwork } from '../../src/main/sync/network-watch'

describe('network watch', () => {
  it('calls back when an address appears, not when one goes or nothing changes', () => {
    let addresses = ['192.0.2.10']
    let ups = 0
    const watch = watchNetwork({ onNetworkUp: () => ups++, intervalMs: 60_000, addresses: () => addresses })
    try {
      watch.check()
      expect(ups).toBe(0)
      addresses = []
      watch.check()
      expect(ups).toBe(0)
      addresses = ['192.0.2.10']
      watch.check()
      expect(ups).toBe(1)
      addresses = ['192.0.2.10', '198.51.100.7']
      watch.check()
      watch.check()
      expect(ups).toBe(2)
    } finally {
      watch.stop()
    }
  })

  it("reads this machine's addresses without the loopback ones", () => {
    const addresses = externalAddresses()
    expect(addresses).not.toContain('127.0.0.1')
    expect(addresses).not.toContain('::1')
    expect([...addresses].sort()).toEqual(addresses)
  })
})
