import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { hostname } from 'node:os'
import Ajv from 'ajv'
import type { VendorId } from '@shared/model'
import { connectorFor, connectors, type Connector } from '../connectors'
import { parseSecretJson } from './json-file'
import type { KeySource, KeyStore, StoredKeyResult } from './keys'

export interface DestinationConfig {
  id: string
  vendor: VendorId
  baseUrl?: string
  apiKey?: string
  apiKeyEnv?: string
  /** Most events per upstream request, for vendors that batch (default: the connector's). */
  batchSize?: number
  /** Keys this destination's clients must send; replaces `ingest.keys` for it. */
  ingestKeys?: string[]
  /** Origins of the web pages whose scripts may send to this destination (CORS). */
  allowedOrigins?: string[]
}

export interface OutpostConfig {
  ingest: {
    host: string
    port: number
    keys: string[]
    bodyLimitBytes: number
    /** Host names, besides loopback ones, that requests may be addressed to (a collector bound elsewhere). */
    allowedHosts: string[]
    /** A request's headers and body must arrive within this: a slow client is cut off. */
    requestTimeoutMs: number
    /** Connections beyond this many at once are closed. */
    maxConnections: number
  }
  destinations: DestinationConfig[]
  storage: { maxEvents: number; maxBytes: number; retentionDays: number }
  sync: {
    timeoutMs: number
    backoffBaseMs: number
    backoffMaxMs: number
    /** How soon a destination held for a refused key asks the vendor again, growing to the max. */
    authRetryBaseMs: number
    authRetryMaxMs: number
    /** Most requests in flight per destination; one user's events never overtake each other. */
    concurrency: number
  }
  fleet: {
    /** Names this device among a fleet's (metrics labels, stream subjects, the console's title). */
    deviceId: string
  }
  metrics: MetricsConfig
}

/** Who may read `/metrics`, `/healthz` and `/readyz` on the ingest port (docs/architecture.md, Metrics). */
export interface MetricsConfig {
  /** Serve the three endpoints at all. */
  enabled: boolean
  /** `loopback`: only peers on this machine (a local agent, a tunnel); `any`: every peer that reaches the port. */
  allowFrom: 'loopback' | 'any'
}

/** A destination with its connector and key resolved: what the collector runs with. */
export interface Destination {
  id: string
  vendor: VendorId
  baseUrl: string
  /** The key in use; null while none is (the destination holds its events). Changes when a person sets one. */
  apiKey: string | null
  keySource: KeySource | null
  /** Why the key set in Outpost cannot be used; null when it can or none is set. */
  keyProblem: string | null
  /** The config's key (inline or from its environment variable), used when none is set in Outpost. */
  configuredKey: { value: string; source: Exclude<KeySource, 'outpost'> } | null
  /** Most events per upstream request for batchable kinds. */
  batchSize: number
  /** Keys a client must present in the vendor's auth header; empty = open (loopback only by default). */
  ingestKeys: string[]
  /** Origins of the web pages whose scripts may send here; empty = none (apps that are not browsers send no Origin). */
  allowedOrigins: string[]
  connector: Connector
}

export const DEFAULTS = {
  ingest: {
    host: '127.0.0.1',
    port: 8787,
    keys: [] as string[],
    bodyLimitBytes: 5 * 1024 * 1024,
    allowedHosts: [] as string[],
    requestTimeoutMs: 30_000,
    maxConnections: 1024
  },
  storage: { maxEvents: 1_000_000, maxBytes: 1024 * 1024 * 1024, retentionDays: 7 },
  sync: {
    timeoutMs: 10_000,
    backoffBaseMs: 1_000,
    backoffMaxMs: 60_000,
    authRetryBaseMs: 5 * 60_000,
    authRetryMaxMs: 15 * 60_000,
    // Sized for a slow link: at 150 ms a round trip, 32 requests in flight carried about 200
    // one-event requests a second, 16 about 98 (docs/architecture.md, Delivery).
    concurrency: 32
  },
  metrics: { enabled: true, allowFrom: 'loopback' } as MetricsConfig
}

/** The longest delay a Node timer keeps; a longer one would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1

const schema = {
  type: 'object',
  additionalProperties: false,
  required: ['destinations'],
  properties: {
    ingest: {
      type: 'object',
      additionalProperties: false,
      properties: {
        host: { type: 'string', minLength: 1 },
        port: { type: 'integer', minimum: 0, maximum: 65535 },
        keys: { type: 'array', items: { type: 'string', minLength: 1 } },
        bodyLimitBytes: { type: 'integer', minimum: 1024 },
        // A DNS name or an IP address (IPv6 in brackets), without a port.
        allowedHosts: {
          type: 'array',
          items: {
            type: 'string',
            pattern: '^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\\[[0-9A-Fa-f:.]+\\])$'
          }
        },
        requestTimeoutMs: { type: 'integer', minimum: 100, maximum: MAX_TIMER_MS },
        maxConnections: { type: 'integer', minimum: 1 }
      }
    },
    destinations: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'vendor'],
        properties: {
          id: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$' },
          vendor: { type: 'string', minLength: 1 },
          baseUrl: { type: 'string', pattern: '^https?://' },
          apiKey: { type: 'string' },
          apiKeyEnv: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
          batchSize: { type: 'integer', minimum: 1, maximum: 10000 },
          ingestKeys: { type: 'array', items: { type: 'string', minLength: 1 } },
          allowedOrigins: { type: 'array', items: { type: 'string' } }
        }
      }
    },
    storage: {
      type: 'object',
      additionalProperties: false,
      properties: {
        maxEvents: { type: 'integer', minimum: 1 },
        maxBytes: { type: 'integer', minimum: 1024 },
        retentionDays: { type: 'number', minimum: 0 }
      }
    },
    fleet: {
      type: 'object',
      additionalProperties: false,
      properties: {
        // One token of a NATS subject and a Prometheus label value: no dots, spaces or wildcards.
        deviceId: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,128}$' }
      }
    },
    metrics: {
      type: 'object',
      additionalProperties: false,
      properties: {
        enabled: { type: 'boolean' },
        allowFrom: { enum: ['loopback', 'any'] }
      }
    },
    sync: {
      type: 'object',
      additionalProperties: false,
      properties: {
        timeoutMs: { type: 'integer', minimum: 100 },
        backoffBaseMs: { type: 'integer', minimum: 1 },
        backoffMaxMs: { type: 'integer', minimum: 1 },
        authRetryBaseMs: { type: 'integer', minimum: 1, maximum: MAX_TIMER_MS },
        authRetryMaxMs: { type: 'integer', minimum: 1, maximum: MAX_TIMER_MS },
        concurrency: { type: 'integer', minimum: 1, maximum: 256 }
      }
    }
  }
}

const validateConfig = new Ajv({ allErrors: true }).compile(schema)

export class ConfigError extends Error {
  override name = 'ConfigError'
}

function invalid(source: string, details: string): never {
  throw new ConfigError(`${source} is not a valid Outpost config: ${details}`)
}

/** The `Origin` a browser sends for a page at `value`; null when it is no http(s) URL. */
function browserOriginOf(value: string): string | null {
  if (!URL.canParse(value)) return null
  const url = new URL(value)
  return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : null
}

/**
 * Each allowed origin must be written as a browser sends it in `Origin` (scheme, host, port when
 * not the default; no path, no trailing slash), or it would silently never match.
 */
function checkAllowedOrigins(destination: DestinationConfig, source: string): void {
  for (const value of destination.allowedOrigins ?? []) {
    const origin = browserOriginOf(value)
    if (origin === value) continue
    const hint = origin ? ` (did you mean "${origin}"?)` : ''
    invalid(
      source,
      `allowedOrigins of destination "${destination.id}": "${value}" is not an origin like https://kiosk.example or http://localhost:5173${hint}`
    )
  }
}

/**
 * The host name, made fit for a subject token and a label: a fleet's devices usually have distinct
 * host names, and an operator who needs another name sets `fleet.deviceId`.
 */
export function defaultDeviceId(): string {
  return (
    hostname()
      .replace(/[^A-Za-z0-9_-]/g, '_')
      .slice(0, 128) || 'outpost'
  )
}

/** Checks a parsed config file and fills in the defaults. */
export function parseConfig(value: unknown, source = 'config'): OutpostConfig {
  if (!validateConfig(value)) {
    const details = (validateConfig.errors ?? [])
      .map((e) => `${e.instancePath || '/'} ${e.message}`)
      .join('; ')
    invalid(source, details)
  }
  const raw = value as Partial<OutpostConfig> & { destinations: DestinationConfig[] }
  const ids = new Set<string>()
  for (const destination of raw.destinations) {
    if (ids.has(destination.id)) invalid(source, `destination id "${destination.id}" is used twice`)
    ids.add(destination.id)
    if (!connectorFor(destination.vendor)) {
      const supported = connectors.map((connector) => connector.vendor).join(', ')
      invalid(
        source,
        `vendor "${destination.vendor}" of destination "${destination.id}" is not supported (supported: ${supported})`
      )
    }
    checkAllowedOrigins(destination, source)
  }
  const sync = { ...DEFAULTS.sync, ...raw.sync }
  if (sync.authRetryMaxMs < sync.authRetryBaseMs) {
    invalid(
      source,
      `/sync/authRetryMaxMs (${sync.authRetryMaxMs}) must not be below /sync/authRetryBaseMs (${sync.authRetryBaseMs})`
    )
  }
  return {
    ingest: { ...DEFAULTS.ingest, ...raw.ingest },
    destinations: raw.destinations,
    storage: { ...DEFAULTS.storage, ...raw.storage },
    sync,
    fleet: { deviceId: raw.fleet?.deviceId ?? defaultDeviceId() },
    metrics: { ...DEFAULTS.metrics, ...raw.metrics }
  }
}

export function loadConfigFile(file: string): OutpostConfig {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    throw new ConfigError(`cannot read config file ${file}: ${(error as Error).message}`)
  }
  return parseConfigText(text, `config file ${file}`, file)
}

/** A config's JSON text, from a file or an environment variable (`origin` names it in errors). */
export function parseConfigText(text: string, origin: string, source = origin): OutpostConfig {
  // The config can hold vendor keys: a syntax error is named by its place, never by the text there.
  const parsed = parseSecretJson(text)
  if (!parsed.ok) throw new ConfigError(`${origin} is not valid JSON: ${parsed.problem}`)
  return parseConfig(parsed.value, source)
}

/** One destination per supported vendor, without credentials: events are held until a key is added. */
export function defaultConfig(): OutpostConfig {
  const destinations = connectors.map((connector) => ({
    id: connector.vendor,
    vendor: connector.vendor,
    apiKeyEnv: connector.apiKeyEnv
  }))
  return parseConfig({ destinations }, 'default config')
}

function configuredKeyOf(
  destination: DestinationConfig,
  env: NodeJS.ProcessEnv
): Destination['configuredKey'] {
  if (destination.apiKey) return { value: destination.apiKey, source: 'config' }
  // Own properties only: process.env.constructor is Object, a variable named so is unset unless set.
  const name = destination.apiKeyEnv
  const fromEnv = name && Object.hasOwn(env, name) ? env[name] : undefined
  return fromEnv ? { value: fromEnv, source: 'env' } : null
}

/**
 * Names a key without keeping it: the first 16 hex digits of its SHA-256. Enough to tell whether
 * the key in effect is the one a vendor refused; the key itself never reaches the database.
 */
export function keyFingerprint(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16)
}

/** Puts the key set in Outpost in use, or the configured one when none is set or it cannot be read. */
export function applyStoredKey(destination: Destination, stored: StoredKeyResult | null): void {
  const key = stored?.ok ? { value: stored.value, source: 'outpost' as const } : destination.configuredKey
  destination.apiKey = key?.value ?? null
  destination.keySource = key?.source ?? null
  destination.keyProblem = stored && !stored.ok ? stored.problem : null
}

export function resolveDestinations(
  config: OutpostConfig,
  env: NodeJS.ProcessEnv = process.env,
  keys: KeyStore | null = null
): Destination[] {
  return config.destinations.map((destination) => {
    const connector = connectorFor(destination.vendor) as Connector
    const resolved: Destination = {
      id: destination.id,
      vendor: destination.vendor,
      baseUrl: (destination.baseUrl ?? connector.defaultBaseUrl).replace(/\/+$/, ''),
      apiKey: null,
      keySource: null,
      keyProblem: null,
      configuredKey: configuredKeyOf(destination, env),
      batchSize: destination.batchSize ?? connector.batchLimit('track'),
      ingestKeys: destination.ingestKeys ?? config.ingest.keys,
      allowedOrigins: destination.allowedOrigins ?? [],
      connector
    }
    applyStoredKey(resolved, keys?.get(destination.id) ?? null)
    return resolved
  })
}
