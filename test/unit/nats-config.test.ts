import { describe, expect, it } from 'vitest'
import { openStore } from '../../src/main/store'
import { parseConfig, resolveDestinations, type DestinationConfig } from '../../src/main/config'
import { copiesOf } from '../../src/main/nats/fan-out'
import { tempDir } from '../support/temp'

const whisperr: DestinationConfig = { id: 'whisperr', vendor: 'whisperr', apiKey: 'wrk_1' }
const flywheel: DestinationConfig = { id: 'flywheel', vendor: 'flywheel', apiKey: 'fw_1' }
const parse = (pipeline: Record<string, unknown>, others: DestinationConfig[] = [whisperr, flywheel]) =>
  parseConfig({
    destinations: [...others, { id: 'pipeline', vendor: 'nats', feeds: ['whisperr'], ...pipeline }],
    fleet: { deviceId: 'kiosk-1' }
  })

describe('a NATS destination in the config', () => {
  it('fills in the defaults and is fed by the destinations it names', () => {
    const config = parse({ feeds: ['whisperr', 'flywheel'] })
    const [, , pipeline] = resolveDestinations(config, {})
    expect(pipeline?.nats).toEqual({
      servers: ['nats://127.0.0.1:4222'],
      subject: 'outpost.{deviceId}.{destination}.{name}',
      stream: null,
      auth: 'none',
      user: null,
      credsFile: null,
      tls: null,
      publishTimeoutMs: 5_000,
      deviceId: 'kiosk-1'
    })
    expect(pipeline?.connector).toBeNull()
    expect(pipeline?.keyRequired).toBe(false)
    const destinations = resolveDestinations(config, {})
    expect(destinations.map((destination) => destination.copiesTo)).toEqual([['pipeline'], ['pipeline'], []])
  })

  it('takes the password, token or NKey seed as its key: config, environment variable or key store', () => {
    const config = parse({ nats: { auth: 'user', user: 'kiosk' }, apiKeyEnv: 'NATS_PASSWORD' })
    const [, , withoutKey] = resolveDestinations(config, {})
    expect(withoutKey?.keyRequired).toBe(true)
    expect(withoutKey?.keyName).toBe('NATS password')
    expect(withoutKey?.apiKey).toBeNull()
    const [, , withKey] = resolveDestinations(config, { NATS_PASSWORD: 's3cret' })
    expect(withKey?.apiKey).toBe('s3cret')
    expect(withKey?.keySource).toBe('env')
  })

  it('refuses what cannot work, naming the field and why', () => {
    const refusals: Array<[Record<string, unknown>, RegExp]> = [
      [{ feeds: undefined }, /feeds must list the vendor destinations/],
      [{ feeds: ['nowhere'] }, /feeds names "nowhere", which is no destination/],
      [{ feeds: [] }, /feeds must NOT have fewer than 1 items/],
      [{ nats: { subject: 'outpost.*.{name}' } }, /nats.subject token "\*"/],
      [{ nats: { subject: 'outpost.{user}' } }, /\{user\} is no placeholder/],
      [{ nats: { servers: ['http://x:4222'] } }, /servers\/0 must match pattern/],
      [{ nats: { auth: 'user' } }, /nats.auth "user" needs nats.user/],
      [{ nats: { auth: 'creds' } }, /nats.auth "creds" needs nats.credsFile/],
      [{ nats: { tls: { certFile: 'c.pem' } } }, /certFile and nats.tls.keyFile go together/],
      [{ nats: { stream: 'a.b' } }, /stream must match pattern/],
      [{ baseUrl: 'https://x' }, /baseUrl does not apply/],
      [{ ingestKeys: ['k'] }, /ingestKeys does not apply/]
    ]
    for (const [pipeline, reason] of refusals) expect(() => parse(pipeline)).toThrow(reason)
    expect(() => parseConfig({ destinations: [{ ...whisperr, feeds: ['x'] }] })).toThrow(
      /feeds and nats belong to a destination of vendor "nats"/
    )
    expect(
      () => parse({}, [whisperr, { id: 'other', vendor: 'nats', feeds: ['whisperr'] }]).destinations
    ).not.toThrow()
    expect(() =>
      parse({ feeds: ['other'] }, [whisperr, { id: 'other', vendor: 'nats', feeds: ['whisperr'] }])
    ).toThrow(/another nats destination/)
  })
})

describe('fan-out at enqueue', () => {
  it('stores one more row for the stream in the same transaction, and none again for a retried key', () => {
    const dir = tempDir('outpost-fanout')
    const store = openStore(`${dir.path}/outbox.sqlite`)
    try {
      const destinations = resolveDestinations(parse({}), {})
      const copies = copiesOf(destinations)
      const event = {
        destination: 'whisperr',
        messageId: 'm-1',
        kind: 'track' as const,
        name: 'feature_used',
        userKey: 'u1',
        occurredAt: null,
        payload: '{"n":12345678901234567890}',
        upstreamParams: null,
        keyedByRequest: true
      }
      const [first] = store.outbox.enqueueEvents([[event]], 1_000, copies)
      expect(first).toMatchObject({ inserted: 1, duplicates: 0 })
      expect(first?.copied).toEqual(new Map([['pipeline', 1]]))
      const [retry] = store.outbox.enqueueEvents([[event]], 2_000, copies)
      expect(retry).toMatchObject({ inserted: 0, duplicates: 1 })
      expect(retry?.copied).toEqual(new Map([['pipeline', 0]]))
      // The same key for another body stores nothing, its copy included.
      const [reused] = store.outbox.enqueueEvents([[{ ...event, payload: '{"n":2}' }]], 3_000, copies)
      expect(reused).toMatchObject({ keyReused: true })
      const claimed = store.outbox.claimDueBatch('pipeline', 5_000, 10, 1_000, () => true)
      expect(
        claimed.kind === 'claimed' && claimed.events.map((e) => [e.messageId, e.payload, e.name])
      ).toEqual([['whisperr:m-1', '{"n":12345678901234567890}', 'feature_used']])
      // An event of a route that feeds nothing has no copy.
      const [unfed] = store.outbox.enqueueEvents([[{ ...event, destination: 'flywheel' }]], 4_000, copies)
      expect(unfed?.copied).toBeUndefined()
    } finally {
      store.close()
      dir.remove()
    }
  })
})
