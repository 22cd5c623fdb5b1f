import { readdirSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { connectors, connectorFor } from '../../src/main/connectors'
import { hostname } from 'node:os'
import { ConfigError, defaultConfig, parseConfig, resolveDestinations } from '../../src/main/config'

const connectorsDir = resolve(__dirname, '../../src/main/connectors')
const vendorFolders = readdirSync(connectorsDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort()

describe('the connector registry', () => {
  it('registers every vendor folder under src/main/connectors, each under its folder name', () => {
    expect(vendorFolders).toEqual(['embeddables', 'flywheel', 'userflux', 'weespin', 'whisperr'])
    expect(connectors.map((connector) => connector.vendor).sort()).toEqual(vendorFolders)
  })

  it('finds a connector by vendor id, and none for an unknown one', () => {
    expect(connectorFor('userflux')?.label).toBe('UserFlux')
    expect(connectorFor('segment')).toBeUndefined()
  })
})

describe('config', () => {
  it('defaults to one destination per registered vendor, without credentials', () => {
    const config = defaultConfig()
    expect(config.destinations.map((d) => d.vendor)).toEqual(connectors.map((c) => c.vendor))
    const destinations = resolveDestinations(config, {})
    expect(destinations.every((d) => d.apiKey === null)).toBe(true)
    expect(destinations.find((d) => d.vendor === 'whisperr')?.baseUrl).toBe('https://api.whisperr.net')
  })

  it('refuses a vendor no connector is registered for, naming the supported ones', () => {
    const parse = () => parseConfig({ destinations: [{ id: 'seg', vendor: 'segment' }] }, 'outpost.json')
    expect(parse).toThrow(ConfigError)
    expect(parse).toThrow(
      'vendor "segment" of destination "seg" is not supported (supported: whisperr, embeddables, weespin, flywheel, userflux, nats)'
    )
  })

  it('names the device by fleet.deviceId, else by the host name made fit for a label and a subject', () => {
    const named = parseConfig({ destinations: [], fleet: { deviceId: 'kiosk-0042' } })
    expect(named.fleet.deviceId).toBe('kiosk-0042')
    const unnamed = parseConfig({ destinations: [] })
    expect(unnamed.fleet.deviceId).toBe(hostname().replace(/[^A-Za-z0-9_-]/g, '_'))
    expect(() => parseConfig({ destinations: [], fleet: { deviceId: 'kiosk.42' } }, 'fleet.json')).toThrow(
      'fleet.json is not a valid Outpost config: /fleet/deviceId must match pattern'
    )
  })

  it('serves the metrics to loopback peers unless told otherwise, and refuses another allowFrom naming the field', () => {
    expect(parseConfig({ destinations: [] }).metrics).toEqual({ enabled: true, allowFrom: 'loopback' })
    expect(parseConfig({ destinations: [], metrics: { allowFrom: 'any' } }).metrics).toEqual({
      enabled: true,
      allowFrom: 'any'
    })
    expect(parseConfig({ destinations: [], metrics: { enabled: false } }).metrics.enabled).toBe(false)
    expect(() => parseConfig({ destinations: [], metrics: { allowFrom: 'lan' } }, 'kiosk.json')).toThrow(
      'kiosk.json is not a valid Outpost config: /metrics/allowFrom must be equal to one of the allowed values'
    )
    expect(() => parseConfig({ destinations: [], metrics: { port: 9100 } })).toThrow(
      '/metrics must NOT have additional properties'
    )
  })

  it('refuses a destination id used twice', () => {
    const destinations = [
      { id: 'a', vendor: 'whisperr' },
      { id: 'a', vendor: 'userflux' }
    ]
    expect(() => parseConfig({ destinations })).toThrow('destination id "a" is used twice')
  })

  it('takes the key inline first, then from the environment, and the batch size from the connector', () => {
    const config = parseConfig({
      destinations: [
        { id: 'uf', vendor: 'userflux', apiKeyEnv: 'UF_KEY' },
        {
          id: 'ws',
          vendor: 'whisperr',
          apiKey: 'inline',
          apiKeyEnv: 'WS_KEY',
          baseUrl: 'http://127.0.0.1:9/'
        }
      ]
    })
    const [uf, ws] = resolveDestinations(config, { UF_KEY: 'from-env', WS_KEY: 'unused' })
    expect(uf).toMatchObject({ apiKey: 'from-env', batchSize: 10 })
    expect(ws).toMatchObject({ apiKey: 'inline', batchSize: 500, baseUrl: 'http://127.0.0.1:9' })
  })
})
