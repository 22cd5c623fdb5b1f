import { isIP } from 'node:net'
import { ConfigError, type DestinationConfig, type OutpostConfig } from './config'
import {
  chooseConfigSource,
  describeConfigSource,
  loadConfigFrom,
  type SourceOptions
} from './config/provisioning'

/**
 * `outpost check-config [FILE]`: validates a config offline, as an operator does before an MDM
 * tool deploys it to a fleet. Nothing is opened but the file: no data folder, no port, no network.
 * Without FILE it checks what `outpost serve` would load (the environment, the managed file).
 */

export interface ConfigCheck {
  ok: boolean
  lines: string[]
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'))
}

/** Where a destination's key comes from; unset variables are noted, since the check may run elsewhere. */
function keyOrigin(destination: DestinationConfig, env: NodeJS.ProcessEnv): string {
  if (destination.apiKey) return 'key in the config'
  if (!destination.apiKeyEnv) return 'no key (set one in the console)'
  const set = Object.hasOwn(env, destination.apiKeyEnv) && env[destination.apiKeyEnv] !== ''
  return `key from ${destination.apiKeyEnv}${set ? '' : ' (not set here)'}`
}

function notes(config: OutpostConfig): string[] {
  const open = !isLoopback(config.ingest.host)
  const keyless = config.destinations.filter((d) => (d.ingestKeys ?? config.ingest.keys).length === 0)
  if (!open || keyless.length === 0) return []
  return [
    `note: ingest listens on ${config.ingest.host}, beyond this machine, and ${keyless
      .map((d) => d.id)
      .join(', ')} take events without an ingest key`
  ]
}

function summary(config: OutpostConfig, env: NodeJS.ProcessEnv): string[] {
  const width = Math.max(6, ...config.destinations.map((d) => d.id.length)) + 2
  return [
    `  ${'device'.padEnd(width)}${config.fleet.deviceId}`,
    `  ${'ingest'.padEnd(width)}${config.ingest.host}:${config.ingest.port}`,
    ...config.destinations.map((d) => `  ${d.id.padEnd(width)}${d.vendor.padEnd(12)}${keyOrigin(d, env)}`),
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
