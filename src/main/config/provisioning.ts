import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { ConfigError, defaultConfig, loadConfigFile, parseConfigText, type OutpostConfig } from './index'

/**
 * Where a collector's config comes from. A fleet's devices are set up by MDM tools, which deploy
 * either a file (anywhere, or at the machine-wide managed path) or an environment variable; a
 * person running one collector passes `--config`. The first that is present wins:
 * `--config FILE`, then `OUTPOST_CONFIG_JSON` (the whole config as JSON text), then
 * `OUTPOST_CONFIG` (a file path), then the managed file, then the desktop app's own file or the
 * built-in defaults.
 */
export const CONFIG_ENV = { json: 'OUTPOST_CONFIG_JSON', file: 'OUTPOST_CONFIG' } as const

export type ConfigSource =
  | { kind: 'flag' | 'env-file' | 'managed-file' | 'own-file'; file: string }
  | { kind: 'env-json' }
  | { kind: 'defaults' }

/** The machine-wide file MDM tools deploy to, outside any user's folder. */
export function managedConfigPath(
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env
): string {
  if (platform === 'win32') return join(env.ProgramData ?? 'C:\\ProgramData', 'Outpost', 'outpost.json')
  if (platform === 'darwin') return '/Library/Application Support/Outpost/outpost.json'
  return '/etc/outpost/outpost.json'
}

export interface SourceOptions {
  /** The `--config` argument, when given. */
  flag?: string
  env: NodeJS.ProcessEnv
  /** The managed file's path (managedConfigPath() in production; a test's own path in tests). */
  managedFile: string
  /** The desktop app's own config file; none for `outpost serve`, which falls back to defaults. */
  ownFile?: string
}

/** Set and not empty: an MDM profile that clears a variable leaves it empty rather than unset. */
function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = Object.hasOwn(env, name) ? env[name] : undefined
  return value === undefined || value.trim() === '' ? undefined : value
}

export function chooseConfigSource(options: SourceOptions): ConfigSource {
  if (options.flag !== undefined) return { kind: 'flag', file: options.flag }
  const json = envValue(options.env, CONFIG_ENV.json)
  const file = envValue(options.env, CONFIG_ENV.file)
  // Two deployments disagreeing is a mistake to fix, not a precedence to guess.
  if (json !== undefined && file !== undefined) {
    throw new ConfigError(`${CONFIG_ENV.json} and ${CONFIG_ENV.file} are both set: set one of them`)
  }
  if (json !== undefined) return { kind: 'env-json' }
  if (file !== undefined) return { kind: 'env-file', file }
  if (existsSync(options.managedFile)) return { kind: 'managed-file', file: options.managedFile }
  if (options.ownFile !== undefined) return { kind: 'own-file', file: options.ownFile }
  return { kind: 'defaults' }
}

export function loadConfigFrom(source: ConfigSource, env: NodeJS.ProcessEnv): OutpostConfig {
  switch (source.kind) {
    case 'env-json':
      return parseConfigText(env[CONFIG_ENV.json] as string, CONFIG_ENV.json)
    case 'defaults':
      return defaultConfig()
    default:
      return loadConfigFile(source.file)
  }
}

/** For the start's log line: where this run's config came from. */
export function describeConfigSource(source: ConfigSource): string {
  switch (source.kind) {
    case 'flag':
      return source.file
    case 'env-file':
      return `${source.file} (from ${CONFIG_ENV.file})`
    case 'managed-file':
      return `${source.file} (managed)`
    case 'own-file':
      return source.file
    case 'env-json':
      return `the ${CONFIG_ENV.json} environment variable`
    case 'defaults':
      return 'built-in defaults (one destination per vendor)'
  }
}
