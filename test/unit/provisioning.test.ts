import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ConfigError } from '../../src/main/config'
import { checkConfig } from '../../src/main/check-config-command'
import {
  chooseConfigSource,
  describeConfigSource,
  loadConfigFrom,
  managedConfigPath
} from '../../src/main/config/provisioning'
import { tempDir } from '../support/temp'

const fleetConfig = (deviceId: string) =>
  JSON.stringify({
    fleet: { deviceId },
    destinations: [{ id: 'whisperr', vendor: 'whisperr', apiKeyEnv: 'KIOSK_WHISPERR_KEY' }]
  })

describe('where a config comes from (MDM provisioning)', () => {
  let dir: ReturnType<typeof tempDir>
  let managedFile: string
  let envFile: string
  let flagFile: string

  beforeEach(() => {
    dir = tempDir('outpost-provisioning')
    managedFile = join(dir.path, 'managed.json')
    envFile = join(dir.path, 'from-env.json')
    flagFile = join(dir.path, 'flag.json')
    writeFileSync(managedFile, fleetConfig('managed-kiosk'))
    writeFileSync(envFile, fleetConfig('env-file-kiosk'))
    writeFileSync(flagFile, fleetConfig('flag-kiosk'))
  })
  afterEach(() => dir.remove())

  const deviceOf = (options: Parameters<typeof chooseConfigSource>[0]) =>
    loadConfigFrom(chooseConfigSource(options), options.env).fleet.deviceId

  it('takes --config first, then OUTPOST_CONFIG_JSON, then OUTPOST_CONFIG, then the managed file', () => {
    const json = { OUTPOST_CONFIG_JSON: fleetConfig('env-json-kiosk') }
    const file = { OUTPOST_CONFIG: envFile }
    expect(deviceOf({ flag: flagFile, env: { ...json }, managedFile })).toBe('flag-kiosk')
    expect(deviceOf({ env: { ...json }, managedFile })).toBe('env-json-kiosk')
    expect(deviceOf({ env: { ...file }, managedFile })).toBe('env-file-kiosk')
    expect(deviceOf({ env: {}, managedFile })).toBe('managed-kiosk')
  })

  it("falls back to the app's own file, or to the built-in defaults, when nothing is provisioned", () => {
    const missing = join(dir.path, 'no-such.json')
    expect(chooseConfigSource({ env: {}, managedFile: missing, ownFile: flagFile })).toEqual({
      kind: 'own-file',
      file: flagFile
    })
    const defaults = chooseConfigSource({ env: {}, managedFile: missing })
    expect(defaults).toEqual({ kind: 'defaults' })
    expect(loadConfigFrom(defaults, {}).destinations.length).toBe(5)
  })

  it('ignores a variable an MDM profile left empty, and refuses both variables set at once', () => {
    expect(deviceOf({ env: { OUTPOST_CONFIG_JSON: ' ', OUTPOST_CONFIG: '' }, managedFile })).toBe(
      'managed-kiosk'
    )
    const both = () =>
      chooseConfigSource({ env: { OUTPOST_CONFIG_JSON: '{}', OUTPOST_CONFIG: envFile }, managedFile })
    expect(both).toThrow(ConfigError)
    expect(both).toThrow('OUTPOST_CONFIG_JSON and OUTPOST_CONFIG are both set: set one of them')
  })

  it('names the variable, never its text, when the JSON in it is broken (it may hold a key)', () => {
    const env = { OUTPOST_CONFIG_JSON: '{"destinations": [{"apiKey": "wk_secret_123",}]}' }
    const load = () => loadConfigFrom(chooseConfigSource({ env, managedFile }), env)
    expect(load).toThrow(/^OUTPOST_CONFIG_JSON is not valid JSON: .* at line 1, column \d+$/)
    expect(load).not.toThrow(/wk_secret_123/)
  })

  it('says where the config came from', () => {
    expect(describeConfigSource({ kind: 'env-file', file: '/srv/o.json' })).toBe(
      '/srv/o.json (from OUTPOST_CONFIG)'
    )
    expect(describeConfigSource({ kind: 'managed-file', file: managedFile })).toBe(`${managedFile} (managed)`)
    expect(describeConfigSource({ kind: 'env-json' })).toBe('the OUTPOST_CONFIG_JSON environment variable')
  })

  it('keeps the managed file machine-wide on each system', () => {
    expect(managedConfigPath('linux', {})).toBe('/etc/outpost/outpost.json')
    expect(managedConfigPath('darwin', {})).toBe('/Library/Application Support/Outpost/outpost.json')
    expect(managedConfigPath('win32', { ProgramData: 'D:\\PD' })).toBe(
      join('D:\\PD', 'Outpost', 'outpost.json')
    )
  })
})

describe('outpost check-config', () => {
  let dir: ReturnType<typeof tempDir>
  beforeEach(() => {
    dir = tempDir('outpost-check-config')
  })
  afterEach(() => dir.remove())
  const noManaged = () => join(dir.path, 'absent.json')

  it('prints what a valid config sets up, noting a key variable unset where it runs', () => {
    const file = join(dir.path, 'kiosk.json')
    writeFileSync(file, fleetConfig('kiosk-0042'))
    const check = checkConfig({ flag: file, env: {}, managedFile: noManaged() })
    expect(check.ok).toBe(true)
    expect(check.lines).toEqual([
      `${file}: valid`,
      '  device    kiosk-0042',
      '  ingest    127.0.0.1:8787',
      '  whisperr  whisperr    key from KIOSK_WHISPERR_KEY (not set here)'
    ])
    const withKey = checkConfig({ flag: file, env: { KIOSK_WHISPERR_KEY: 'k' }, managedFile: noManaged() })
    expect(withKey.lines.at(-1)).toBe('  whisperr  whisperr    key from KIOSK_WHISPERR_KEY')
  })

  it('warns of ingest open beyond the machine without ingest keys', () => {
    const file = join(dir.path, 'open.json')
    writeFileSync(
      file,
      JSON.stringify({ ingest: { host: '0.0.0.0' }, destinations: [{ id: 'w', vendor: 'whisperr' }] })
    )
    const check = checkConfig({ flag: file, env: {}, managedFile: noManaged() })
    expect(check.ok).toBe(true)
    expect(check.lines.at(-1)).toBe(
      'note: ingest listens on 0.0.0.0, beyond this machine, and w take events without an ingest key'
    )
  })

  it('refuses an invalid config with the reason, and a broken provisioning environment', () => {
    const file = join(dir.path, 'bad.json')
    writeFileSync(file, JSON.stringify({ destinations: [{ id: 'w', vendor: 'segment' }] }))
    const check = checkConfig({ flag: file, env: {}, managedFile: noManaged() })
    expect(check.ok).toBe(false)
    expect(check.lines).toEqual([
      expect.stringMatching(
        new RegExp(
          `^${file} is not a valid Outpost config: vendor "segment" of destination "w" is not supported \\(supported: whisperr, `
        )
      )
    ])
    const both = checkConfig({
      env: { OUTPOST_CONFIG: file, OUTPOST_CONFIG_JSON: '{}' },
      managedFile: noManaged()
    })
    expect(both.ok).toBe(false)
  })
})
