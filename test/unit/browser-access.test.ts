import { describe, expect, it } from 'vitest'
import { ConfigError, parseConfig, resolveDestinations } from '../../src/main/config'
import { hostNameOf } from '../../src/main/ingest/browser-access'

const withOrigins = (allowedOrigins: string[]) =>
  parseConfig({ destinations: [{ id: 'whisperr', vendor: 'whisperr', allowedOrigins }] })

describe('allowedOrigins in the config', () => {
  it('takes origins as a browser sends them, and none by default', () => {
    const origins = ['https://kiosk.example', 'http://localhost:5173', 'http://127.0.0.1:8080']
    expect(withOrigins(origins).destinations[0]!.allowedOrigins).toEqual(origins)
    const [destination] = resolveDestinations(
      parseConfig({ destinations: [{ id: 'w', vendor: 'whisperr' }] }),
      {}
    )
    expect(destination!.allowedOrigins).toEqual([])
  })

  it('refuses what would never match an Origin header, saying what to write', () => {
    const cases: [string, RegExp][] = [
      [
        'https://kiosk.example/',
        /"https:\/\/kiosk.example\/" is not an origin.*did you mean "https:\/\/kiosk.example"/
      ],
      ['http://localhost:80', /did you mean "http:\/\/localhost"/],
      ['https://Kiosk.Example', /did you mean "https:\/\/kiosk.example"/],
      ['https://kiosk.example/app', /did you mean "https:\/\/kiosk.example"/],
      ['kiosk.example', /allowedOrigins of destination "whisperr": "kiosk.example" is not an origin like/],
      ['ftp://kiosk.example', /"ftp:\/\/kiosk.example" is not an origin/],
      ['*', /"\*" is not an origin/],
      ['null', /"null" is not an origin/]
    ]
    for (const [value, message] of cases) {
      expect(() => withOrigins([value]), value).toThrow(ConfigError)
      expect(() => withOrigins([value]), value).toThrow(message)
    }
  })
})

describe('ingest.allowedHosts in the config', () => {
  const withHosts = (allowedHosts: unknown) =>
    parseConfig({ ingest: { allowedHosts }, destinations: [{ id: 'w', vendor: 'whisperr' }] })

  it('takes host names and addresses without a port, and none by default', () => {
    expect(withHosts(['outpost.lan', '192.168.1.20', '[fe80::1]']).ingest.allowedHosts).toEqual([
      'outpost.lan',
      '192.168.1.20',
      '[fe80::1]'
    ])
    expect(parseConfig({ destinations: [] }).ingest.allowedHosts).toEqual([])
  })

  it('refuses a port, a scheme or a path', () => {
    for (const host of ['outpost.lan:8787', 'http://outpost.lan', 'outpost.lan/', '']) {
      expect(() => withHosts([host]), host).toThrow(/allowedHosts\/0 must match pattern/)
    }
  })
})

describe('hostNameOf', () => {
  it('reads the name of a Host header, without its port, lowercased', () => {
    expect(hostNameOf('LocalHost:8787')).toBe('localhost')
    expect(hostNameOf('127.0.0.1')).toBe('127.0.0.1')
    expect(hostNameOf('[::1]:8787')).toBe('[::1]')
    expect(hostNameOf('[::1]')).toBe('[::1]')
  })

  it('gives null for what is not name[:port]', () => {
    for (const header of [undefined, '', ':8787', 'a:b:c', 'localhost:', 'localhost:123456', '[::1']) {
      expect(hostNameOf(header), String(header)).toBeNull()
    }
  })
})
