import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { hostname } from 'node:os'
import Ajv from 'ajv'
import type { EventKind, VendorId } from '@shared/model'
import { connectorFor, connectors, type Connector } from '../connectors'
import { DEFAULT_SUBJECT_TEMPLATE, templateProblem } from '../nats/subject'
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
  /** A NATS destination: the ids of the vendor destinations whose accepted events it also gets. */
  feeds?: string[]
  /** A NATS destination's connection and subjects. */
  nats?: NatsConfig
}

/** The vendor name of a NATS JetStream destination: it has no ingest routes of its own. */
export const NATS_VENDOR = 'nats'

/** How a NATS destination authenticates; the secret (password, token, NKey seed) is its key. */
export type NatsAuth = 'none' | 'user' | 'token' | 'nkey' | 'creds'

export interface NatsConfig {
  servers?: string[]
  subject?: string
  /** The stream that must take the subjects (JetStream's expected-stream check); any when absent. */
  stream?: string
  auth?: NatsAuth
  /** The user name, with `auth: "user"` (the password is the destination's key). */
  user?: string
  /** A `.creds` file (JWT and NKey seed), with `auth: "creds"`. */
  credsFile?: string
  tls?: { caFile?: string; certFile?: string; keyFile?: string }
  publishTimeoutMs?: number
}

/** A NATS destination's settings, defaults filled in: what its sender connects and publishes with. */
export interface NatsSettings {
  servers: string[]
  subject: string
  stream: string | null
  auth: NatsAuth
  user: string | null
  credsFile: string | null
  tls: { caFile?: string; certFile?: string; keyFile?: string } | null
  publishTimeoutMs: number
  /** fleet.deviceId: in subjects, the Outpost-Device header and each message's Nats-Msg-Id. */
  deviceId: string
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
  /** The vendor's name as people read it (`Whisperr`, `NATS JetStream`). */
  label: string
  baseUrl: string
  /** The key in use; null while none is (the destination holds its events). Changes when a person sets one. */
  apiKey: string | null
  keySource: KeySource | null
  /** Why the key set in Outpost cannot be used; null when it can or none is set. */
  keyProblem: string | null
  /** Whether the destination sends nothing without a key (a NATS destination may need none). */
  keyRequired: boolean
  /** What the key is, in words: `API key`, or a NATS password, token or NKey seed. */
  keyName: string
  /** Where the config can name the key's variable, for the words of a missing key. */
  keyEnvHint: string
  /** The config's key (inline or from its environment variable), used when none is set in Outpost. */
  configuredKey: { value: string; source: Exclude<KeySource, 'outpost'> } | null
  /** Most events per upstream request for batchable kinds. */
  batchSize: number
  /** The default most events one request carries for this kind (1 = one request per event). */
  batchLimit(kind: EventKind): number
  /** Keys a client must present in the vendor's auth header; empty = open (loopback only by default). */
  ingestKeys: string[]
  /** Origins of the web pages whose scripts may send here; empty = none (apps that are not browsers send no Origin). */
  allowedOrigins: string[]
  /** The vendor's connector (ingest routes, requests, answers); null for a NATS destination. */
  connector: Connector | null
  /** A NATS destination's settings; null for a vendor's. */
  nats: NatsSettings | null
  /** The NATS destinations that get a copy of each event this destination accepts. */
  copiesTo: string[]
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

export const NATS_DEFAULTS = {
  servers: ['nats://127.0.0.1:4222'],
  subject: DEFAULT_SUBJECT_TEMPLATE,
  publishTimeoutMs: 5_000,
  /** Messages published at once by one batch: acks are awaited together. */
  batchSize: 100
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
          allowedOrigins: { type: 'array', items: { type: 'string' } },
          feeds: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', minLength: 1 } },
          nats: {
            type: 'object',
            additionalProperties: false,
            properties: {
              servers: {
                type: 'array',
                minItems: 1,
                items: { type: 'string', pattern: '^(nats|tls)://[^\\s/]+$' }
              },
              subject: { type: 'string', minLength: 1 },
              // A stream name as JetStream takes it: no spaces, dots, wildcards or path separators.
              stream: { type: 'string', pattern: '^[^\\s.*>/\\\\]+$' },
              auth: { enum: ['none', 'user', 'token', 'nkey', 'creds'] },
              user: { type: 'string', minLength: 1 },
              credsFile: { type: 'string', minLength: 1 },
              tls: {
                type: 'object',
                additionalProperties: false,
                properties: {
                  caFile: { type: 'string', minLength: 1 },
                  certFile: { type: 'string', minLength: 1 },
                  keyFile: { type: 'string', minLength: 1 }
                }
              },
              publishTimeoutMs: { type: 'integer', minimum: 100, maximum: MAX_TIMER_MS }
            }
          }
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

/** What only a NATS destination may hold and must: its feeds, a usable template, auth that fits. */
function checkNatsDestination(
  destination: DestinationConfig,
  destinations: DestinationConfig[],
  source: string
): void {
  const where = `destination "${destination.id}" (nats)`
  for (const key of ['baseUrl', 'ingestKeys', 'allowedOrigins'] as const) {
    if (destination[key] !== undefined)
      invalid(source, `${where}: ${key} does not apply, it has no ingest routes and no HTTP upstream`)
  }
  if (!destination.feeds) {
    invalid(
      source,
      `${where}: feeds must list the vendor destinations whose events it gets, e.g. ["whisperr"]`
    )
  }
  for (const fed of destination.feeds) {
    const feeding = destinations.find((candidate) => candidate.id === fed)
    if (!feeding) invalid(source, `${where}: feeds names "${fed}", which is no destination here`)
    if (feeding.vendor === NATS_VENDOR)
      invalid(
        source,
        `${where}: feeds names "${fed}", another nats destination; feed it from vendor destinations`
      )
  }
  const nats = destination.nats ?? {}
  const problem = templateProblem(nats.subject ?? NATS_DEFAULTS.subject)
  if (problem) invalid(source, `${where}: nats.subject ${problem}`)
  const auth = nats.auth ?? 'none'
  if (auth === 'user' && !nats.user)
    invalid(source, `${where}: nats.auth "user" needs nats.user (the password is apiKey or apiKeyEnv)`)
  if (auth !== 'user' && nats.user) invalid(source, `${where}: nats.user is read only with nats.auth "user"`)
  if (auth === 'creds' && !nats.credsFile) invalid(source, `${where}: nats.auth "creds" needs nats.credsFile`)
  if (auth !== 'creds' && nats.credsFile)
    invalid(source, `${where}: nats.credsFile is read only with nats.auth "creds"`)
  const tls = nats.tls ?? {}
  if ((tls.certFile === undefined) !== (tls.keyFile === undefined))
    invalid(
      source,
      `${where}: nats.tls.certFile and nats.tls.keyFile go together (a client certificate and its key)`
    )
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
    if (destination.vendor === NATS_VENDOR) continue
    if (destination.feeds || destination.nats) {
      invalid(
        source,
        `destination "${destination.id}": feeds and nats belong to a destination of vendor "nats", which lists the destinations it gets events from`
      )
    }
    if (!connectorFor(destination.vendor)) {
      const supported = [...connectors.map((connector) => connector.vendor), NATS_VENDOR].join(', ')
      invalid(
        source,
        `vendor "${destination.vendor}" of destination "${destination.id}" is not supported (supported: ${supported})`
      )
    }
    checkAllowedOrigins(destination, source)
  }
  for (const destination of raw.destinations) {
    if (destination.vendor === NATS_VENDOR) checkNatsDestination(destination, raw.destinations, source)
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

/** What a NATS destination's key is, by its auth; null when it takes none. */
const NATS_KEY_NAMES: Record<NatsAuth, string | null> = {
  none: null,
  creds: null,
  user: 'NATS password',
  token: 'NATS token',
  nkey: 'NATS NKey seed'
}

function natsSettingsOf(destination: DestinationConfig, deviceId: string): NatsSettings {
  const nats = destination.nats ?? {}
  return {
    servers: nats.servers ?? NATS_DEFAULTS.servers,
    subject: nats.subject ?? NATS_DEFAULTS.subject,
    stream: nats.stream ?? null,
    auth: nats.auth ?? 'none',
    user: nats.user ?? null,
    credsFile: nats.credsFile ?? null,
    tls: nats.tls ?? null,
    publishTimeoutMs: nats.publishTimeoutMs ?? NATS_DEFAULTS.publishTimeoutMs,
    deviceId
  }
}

/** The parts of a destination that depend on whether a vendor or a NATS stream takes its events. */
function deliveryOf(
  destination: DestinationConfig,
  config: OutpostConfig
): Pick<
  Destination,
  | 'label'
  | 'baseUrl'
  | 'keyRequired'
  | 'keyName'
  | 'keyEnvHint'
  | 'batchSize'
  | 'batchLimit'
  | 'connector'
  | 'nats'
> {
  const keyEnvHint = destination.apiKeyEnv ?? 'apiKeyEnv'
  if (destination.vendor === NATS_VENDOR) {
    const nats = natsSettingsOf(destination, config.fleet.deviceId)
    const keyName = NATS_KEY_NAMES[nats.auth]
    return {
      label: 'NATS JetStream',
      baseUrl: nats.servers.join(', '),
      keyRequired: keyName !== null,
      keyName: keyName ?? 'key',
      keyEnvHint,
      batchSize: destination.batchSize ?? NATS_DEFAULTS.batchSize,
      // Every kind goes in a batch: each event is its own message, published together.
      batchLimit: () => NATS_DEFAULTS.batchSize,
      connector: null,
      nats
    }
  }
  const connector = connectorFor(destination.vendor) as Connector
  return {
    label: connector.label,
    baseUrl: (destination.baseUrl ?? connector.defaultBaseUrl).replace(/\/+$/, ''),
    keyRequired: true,
    keyName: 'API key',
    keyEnvHint: destination.apiKeyEnv ?? connector.apiKeyEnv,
    batchSize: destination.batchSize ?? connector.batchLimit('track'),
    batchLimit: (kind) => connector.batchLimit(kind),
    connector,
    nats: null
  }
}

export function resolveDestinations(
  config: OutpostConfig,
  env: NodeJS.ProcessEnv = process.env,
  keys: KeyStore | null = null
): Destination[] {
  return config.destinations.map((destination) => {
    const resolved: Destination = {
      id: destination.id,
      vendor: destination.vendor,
      ...deliveryOf(destination, config),
      apiKey: null,
      keySource: null,
      keyProblem: null,
      configuredKey: configuredKeyOf(destination, env),
      ingestKeys: destination.ingestKeys ?? config.ingest.keys,
      allowedOrigins: destination.allowedOrigins ?? [],
      copiesTo: config.destinations
        .filter((candidate) => candidate.feeds?.includes(destination.id))
        .map((candidate) => candidate.id)
    }
    applyStoredKey(resolved, keys?.get(destination.id) ?? null)
    return resolved
  })
}
