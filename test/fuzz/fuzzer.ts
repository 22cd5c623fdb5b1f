import { request as httpRequest } from 'node:http'

/**
 * A seeded fuzzer for a running collector: mutated vendor requests over every ingest route, odd
 * headers, methods and paths, and the admin API. It checks what a user must be able to count on:
 * no 5xx, the collector stays up, nothing is stored from a refused request and nothing accepted is
 * missing, memory stays bounded. The same seed sends the same requests.
 */

export interface FuzzTarget {
  url: string
  adminToken: string
  /** Resident memory of the collector's process, in bytes. */
  rss(): number
  alive(): boolean
}

export interface FuzzReport {
  seed: number
  requests: number
  byStatus: Record<string, number>
  serverErrors: { status: number; method: string; path: string; body: string }[]
  networkErrors: string[]
  acceptedEvents: number
  storedEvents: number
  rssStartBytes: number
  rssEndBytes: number
  alive: boolean
}

interface FuzzRequest {
  method: string
  path: string
  headers: Record<string, string>
  body?: Buffer
  /** Events the request carries when it is accepted (0 for calls that store none). */
  events: number
}

/** mulberry32: a small PRNG, so a seed replays the same run. */
function random(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

interface Seed {
  path: string
  headers?: Record<string, string>
  body: () => Json
  /** How many events the body holds. */
  events: (body: Json) => number
}

const iso = () => new Date().toISOString()
let counter = 0
const unique = (prefix: string) => `${prefix}-${++counter}`

const one = () => 1
const eventsOf = (body: Json) =>
  body !== null && typeof body === 'object' && !Array.isArray(body) && Array.isArray(body.events)
    ? body.events.length
    : 1

const whisperrEvent = (): Json => ({
  external_user_id: unique('u'),
  event_type: 'trial_started',
  occurred_at: iso(),
  properties: { plan: 'pro', seats: 3, price: 19.99, big: 9007199254740991 },
  context: { $message_id: unique('m') }
})
const userfluxEvent = (): Json => ({
  userId: unique('u'),
  name: 'purchase',
  timestamp: Date.now(),
  properties: { sku: 'a', nested: { list: [1, 2, null] } }
})

/** One valid request per ingest route of every vendor: the fuzzer mutates these. */
const SEEDS: Seed[] = [
  { path: '/whisperr/v1/events/track', body: whisperrEvent, events: one },
  {
    path: '/whisperr/v1/events/batch',
    body: () => ({ events: [whisperrEvent(), whisperrEvent()] }),
    events: eventsOf
  },
  {
    path: '/whisperr/v1/identify',
    body: () => ({ external_user_id: unique('u'), traits: { plan: 'pro' } }),
    events: one
  },
  { path: '/userflux/event/ingest', body: userfluxEvent, events: one },
  {
    path: '/userflux/event/ingest/batch?locationEnrichment=false',
    body: () => ({ events: [userfluxEvent(), userfluxEvent()] }),
    events: eventsOf
  },
  {
    path: '/userflux/profile',
    body: () => ({ userId: unique('u'), properties: { plan: 'pro' } }),
    events: one
  },
  { path: '/weespin/initialize-device', body: () => ({ platform: 'android', os: '14' }), events: one },
  {
    path: '/weespin/events',
    body: () => ({ event_name: 'add_to_cart', device_id: unique('ws_device'), payload: { qty: 2 } }),
    events: one
  },
  {
    path: '/flywheel/v1/events',
    body: () => ({ event: { event: 'lesson_completed', user_id: unique('u'), properties: { n: 1 } } }),
    events: one
  },
  {
    path: '/embeddables/projects/proj_1/events',
    body: () => ({
      embeddable_id: 'flow_1',
      timestamp: iso(),
      custom_event_name: 'form_submitted',
      custom_event_props: '{"a":1}',
      identifiers: [{ key: 'email', value: '"a@b.c"' }]
    }),
    events: one
  }
]

/** Marks where deep nesting goes: a value that deep is written as text, not built and stringified. */
const DEEP = '\u0000deep'

const ODD_STRINGS = [
  '',
  ' ',
  '\ud800',
  '\u0000',
  '💥'.repeat(50),
  'x'.repeat(70_000),
  '__proto__',
  'constructor',
  "'; DROP TABLE outbox; --",
  '../../../../etc/passwd',
  '%00',
  'Plan Changed'
]

const ODD_VALUES: (() => Json)[] = [
  () => null,
  () => true,
  () => 0,
  () => -0,
  () => 1e308,
  () => -1,
  () => 1.5,
  () => [],
  () => ({}),
  () => Array.from({ length: 2_000 }, (_, i) => i),
  () => withKey({}, '__proto__', { polluted: true })
]

/** Adds a key as an own property, even `__proto__` (an assignment would set the prototype). */
function withKey(target: { [key: string]: Json }, key: string, value: Json): { [key: string]: Json } {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })
  return target
}

function pick<T>(next: () => number, list: readonly T[]): T {
  return list[Math.floor(next() * list.length)] as T
}

function oddValue(next: () => number): Json {
  return next() < 0.5 ? pick(next, ODD_STRINGS) : pick(next, ODD_VALUES)()
}

/** Every object and array inside a value, with a setter for each slot. */
function slots(value: Json): { get(): Json; set(v: Json): void; remove(): void }[] {
  const found: { get(): Json; set(v: Json): void; remove(): void }[] = []
  const walk = (node: Json) => {
    if (Array.isArray(node)) {
      node.forEach((child, index) => {
        found.push({
          get: () => node[index] as Json,
          set: (v) => (node[index] = v),
          remove: () => node.splice(index, 1)
        })
        walk(child)
      })
    } else if (node !== null && typeof node === 'object') {
      for (const key of Object.keys(node)) {
        found.push({
          get: () => node[key] as Json,
          set: (v) => (node[key] = v),
          remove: () => delete node[key]
        })
        walk(node[key] as Json)
      }
    }
  }
  walk(value)
  return found
}

function mutateValue(next: () => number, value: Json): Json {
  const places = slots(value)
  const times = 1 + Math.floor(next() * 3)
  for (let i = 0; i < times && places.length > 0; i++) {
    const place = pick(next, places)
    const choice = next()
    if (choice < 0.35) place.set(oddValue(next))
    else if (choice < 0.55) place.remove()
    else if (choice < 0.7) {
      const target = place.get()
      if (target !== null && typeof target === 'object' && !Array.isArray(target))
        withKey(target, pick(next, ODD_STRINGS), oddValue(next))
    } else if (choice < 0.8) place.set({ [DEEP]: 1 + Math.floor(next() * 40_000) })
    else place.set(String(place.get()))
  }
  if (next() < 0.05) return oddValue(next)
  return value
}

function toText(value: Json): string {
  return JSON.stringify(value).replace(/\{"\\u0000deep":(\d+)\}/g, (_, levels: string) => {
    const n = Number(levels)
    return `${'['.repeat(n)}1${']'.repeat(n)}`
  })
}

function mutateText(next: () => number, text: string): Buffer {
  const choice = next()
  if (choice < 0.2) return Buffer.from(text.slice(0, Math.floor(next() * text.length)))
  if (choice < 0.4) {
    const at = Math.floor(next() * text.length)
    return Buffer.concat([
      Buffer.from(text.slice(0, at)),
      Buffer.from([0xff, 0xfe, 0x00, 0xc3]),
      Buffer.from(text.slice(at))
    ])
  }
  if (choice < 0.55) return Buffer.from(text.replace(/}$/, ',}'))
  if (choice < 0.7) return Buffer.from(`${text}${text}`)
  if (choice < 0.8) return Buffer.from(text.replace(/"/g, (quote) => (next() < 0.1 ? "'" : quote)))
  return Buffer.alloc(0)
}

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'text/plain;charset=UTF-8',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  ''
]

function mutateHeaders(next: () => number, headers: Record<string, string>): Record<string, string> {
  const result = { ...headers }
  const choice = next()
  if (choice < 0.15) result['content-type'] = pick(next, CONTENT_TYPES)
  else if (choice < 0.25) result.origin = pick(next, ['https://evil.example', 'null', 'http://localhost:1'])
  else if (choice < 0.3) result.host = pick(next, ['evil.example', 'localhost.evil', '127.0.0.1.nip.io', ''])
  else if (choice < 0.4)
    result['idempotency-key'] = pick(next, ['k1', 'k1', '', 'x'.repeat(300), '"q"', 'a b'])
  else if (choice < 0.5)
    result.authorization = pick(next, ['Bearer ', 'Basic Zm9vOmJhcg==', 'x'.repeat(10_000)])
  return result
}

const ODD_PATHS = [
  '/whisperr/../api/stats',
  '/%2e%2e/%2e%2e/etc/passwd',
  '/whisperr/v1/events/track/../../identify',
  '/whisperr/v1/events/track?__proto__[polluted]=1',
  '/userflux/event/ingest?locationEnrichment=maybe',
  '/userflux/event/ingest?locationEnrichment=true&locationEnrichment=false',
  '/embeddables/projects//events',
  '/embeddables/projects/%00/events',
  '/nowhere',
  '/api/events/999999999999999999999',
  '/api/events?limit=-1',
  '/api/events?status=__proto__',
  '/api/events?search=%25%27%22',
  '/' + 'a'.repeat(10_000)
]

function nextRequest(next: () => number, adminToken: string): FuzzRequest {
  const choice = next()
  if (choice < 0.08) {
    const path = pick(next, ODD_PATHS)
    const admin: Record<string, string> = path.startsWith('/api')
      ? { authorization: `Bearer ${adminToken}` }
      : {}
    return { method: pick(next, ['GET', 'POST', 'PUT', 'DELETE']), path, headers: admin, events: 0 }
  }
  if (choice < 0.14) {
    const body = Buffer.from(
      JSON.stringify(mutateValue(next, { payload: '{"x":1}', ids: [1, 2], apiKey: 'k' }))
    )
    const path = pick(next, [
      '/api/events/1/payload',
      '/api/events/resend',
      '/api/events/discard',
      '/api/sync'
    ])
    return {
      method: 'POST',
      path,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
      body,
      events: 0
    }
  }
  const seed = pick(next, SEEDS)
  const value = seed.body()
  const headers = { 'content-type': 'application/json', ...seed.headers }
  const kind = next()
  if (kind < 0.15) {
    // A valid request, so the run also checks what is accepted is stored.
    return {
      method: 'POST',
      path: seed.path,
      headers,
      body: Buffer.from(JSON.stringify(value)),
      events: seed.events(value)
    }
  }
  if (kind < 0.55) {
    const mutated = mutateValue(next, value)
    return {
      method: 'POST',
      path: seed.path,
      headers,
      body: Buffer.from(toText(mutated)),
      events: seed.events(mutated)
    }
  }
  if (kind < 0.75) {
    return {
      method: 'POST',
      path: seed.path,
      headers,
      body: mutateText(next, JSON.stringify(value)),
      events: seed.events(value)
    }
  }
  if (kind < 0.92) {
    return {
      method: 'POST',
      path: seed.path,
      headers: mutateHeaders(next, headers),
      body: Buffer.from(JSON.stringify(value)),
      events: seed.events(value)
    }
  }
  return {
    method: pick(next, ['GET', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']),
    path: seed.path,
    headers,
    events: 0
  }
}

interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

function send(base: URL, fuzz: FuzzRequest): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      {
        host: base.hostname,
        port: base.port,
        method: fuzz.method,
        path: fuzz.path,
        headers: {
          ...(fuzz.body ? { 'content-length': String(fuzz.body.length) } : {}),
          ...fuzz.headers
        },
        timeout: 30_000
      },
      (response) => {
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8').slice(0, 500)
          })
        )
        response.on('error', reject)
      }
    )
    request.on('timeout', () => request.destroy(new Error('no answer within 30 s')))
    request.on('error', reject)
    request.end(fuzz.body)
  })
}

async function storedEvents(target: FuzzTarget): Promise<number> {
  const response = await fetch(`${target.url}/api/stats`, {
    headers: { authorization: `Bearer ${target.adminToken}` }
  })
  const stats = (await response.json()) as { counts: Record<string, number> }
  return Object.values(stats.counts).reduce((sum, n) => sum + n, 0)
}

/** Sends `count` fuzzed requests, one at a time, and reports what the collector did with them. */
export async function fuzzCollector(target: FuzzTarget, count: number, seed: number): Promise<FuzzReport> {
  const next = random(seed)
  const base = new URL(target.url)
  const report: FuzzReport = {
    seed,
    requests: 0,
    byStatus: {},
    serverErrors: [],
    networkErrors: [],
    acceptedEvents: 0,
    storedEvents: 0,
    rssStartBytes: target.rss(),
    rssEndBytes: 0,
    alive: true
  }
  const storedAtStart = await storedEvents(target)
  for (let i = 0; i < count && target.alive(); i++) {
    const fuzz = nextRequest(next, target.adminToken)
    report.requests++
    try {
      const answer = await send(base, fuzz)
      report.byStatus[answer.status] = (report.byStatus[answer.status] ?? 0) + 1
      if (answer.status >= 500) {
        report.serverErrors.push({
          status: answer.status,
          method: fuzz.method,
          path: fuzz.path.slice(0, 80),
          body: answer.body
        })
      }
      const ingest = fuzz.method === 'POST' && !fuzz.path.startsWith('/api')
      if (ingest && answer.status >= 200 && answer.status < 300) {
        report.acceptedEvents += fuzz.events - Number(answer.headers['x-outpost-duplicates'] ?? 0)
      }
    } catch (error) {
      report.networkErrors.push(`${fuzz.method} ${fuzz.path.slice(0, 80)}: ${(error as Error).message}`)
    }
  }
  report.alive = target.alive()
  report.storedEvents = report.alive ? (await storedEvents(target)) - storedAtStart : -1
  report.rssEndBytes = target.rss()
  return report
}
