import { ConfigError, resolveDestinations, type OutpostConfig } from './config'
import {
  chooseConfigSource,
  describeConfigSource,
  loadConfigFrom,
  type SourceOptions
} from './config/provisioning'
import { isLoopbackPeer } from './metrics/routes'

/**
 * `outpost check-config [FILE]`: validates a config offline, as an operator does before an MDM
 * tool deploys it to a fleet. Nothing is opened but the file: no data folder, no port, no network.
 * Without FILE it checks what `outpost serve` would load (the environment, the managed file).
 */

export interface ConfigCheck {
  ok: boolean
  lines: string[]
}

/**
 * Where each destination's key comes from, as the collector resolves it (resolveDestinations); a
 * key variable unset here is noted, since the check may run on another machine than the device.
 */
function keyOrigins(config: OutpostConfig, env: NodeJS.ProcessEnv): string[] {
  const resolved = resolveDestinations(config, env)
  return config.destinations.map((destination, index) => {
    const source = resolved[index]?.configuredKey?.source
    if (source === 'config') return 'key in the config'
    if (!destination.apiKeyEnv) return 'no key (set one in the console)'
    return `key from ${destination.apiKeyEnv}${source === 'env' ? '' : ' (not set here)'}`
  })
}

function notes(config: OutpostConfig): string[] {
  const host = config.ingest.host
  const open = host !== 'localhost' && !isLoopbackPeer(host)
  const keyless = config.destinations.filter((d) => (d.ingestKeys ?? config.ingest.keys).length === 0)
  if (!open || keyless.length === 0) return []
  return [
    `note: ingest listens on ${host}, beyond this machine, and ${keyless
      .map((d) => d.id)
      .join(', ')} take events without an ingest key`
  ]
}

function summary(config: OutpostConfig, env: NodeJS.ProcessEnv): string[] {
  const width = Math.max(6, ...config.destinations.map((d) => d.id.length)) + 2
  const keys = keyOrigins(config, env)
  return [
    `  ${'device'.padEnd(width)}${config.fleet.deviceId}`,
    `  ${'ingest'.padEnd(width)}${config.ingest.host}:${config.ingest.port}`,
    ...config.destinations.map((d, index) => `  ${d.id.padEnd(width)}${d.vendor.padEnd(12)}${keys[index]}`),
    ...notes(config)
  ]
}

export function checkConfig(options: SourceOptions): ConfigCheck {
  try {
    const source = chooseConfigSource(options)
    const config = loadConfigFrom(source, options.env)
    return { ok: true, lines: [`${describeConfigSource(source)}: valid`, ...summary(config, options.env)] }
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    return { ok: false, lines: [error.message] }
  }
}
