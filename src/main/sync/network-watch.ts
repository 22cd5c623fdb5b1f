import { networkInterfaces } from 'node:os'

/** The machine's own non-loopback addresses, sorted. */
export function externalAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flatMap((addresses) => addresses ?? [])
    .filter((address) => !address.internal)
    .map((address) => address.address)
    .sort()
}

export interface NetworkWatchOptions {
  /** Called when an address appears that was not there at the last check. */
  onNetworkUp(): void
  intervalMs: number
  addresses?: () => string[]
}

/**
 * The OS's online signal, the same under Electron and plain Node: a new address means a network
 * came up (Wi-Fi joined, cable plugged, VPN connected), so destinations that could not reach
 * their vendor should try again now rather than at the end of their backoff.
 */
export function watchNetwork({
  onNetworkUp,
  intervalMs,
  addresses = externalAddresses
}: NetworkWatchOptions) {
  let known = new Set(addresses())
  const check = () => {
    const current = addresses()
    const appeared = current.some((address) => !known.has(address))
    known = new Set(current)
    if (appeared) onNetworkUp()
  }
  const timer = setInterval(check, intervalMs)
  timer.unref()
  return { check, stop: () => clearInterval(timer) }
}
