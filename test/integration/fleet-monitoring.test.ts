import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createOutpostMetrics } from '../../src/main/metrics/registry'
import { PROMTOOL, promtoolInstalled } from '../support/prometheus-server'
import { tempDir } from '../support/temp'

const FLEET_DOC = join(__dirname, '../../docs/fleet.md')

/** The YAML blocks of docs/fleet.md by the file name their first line gives (`# outpost-rules.yml`). */
function yamlFilesOfDoc(): Map<string, string> {
  const text = readFileSync(FLEET_DOC, 'utf8')
  const files = new Map<string, string>()
  for (const [, block] of text.matchAll(/```yaml\n([\s\S]*?)```/g)) {
    const name = /^# ([\w.-]+\.yml)\n/.exec(block!)?.[1]
    if (name) files.set(name, block!)
  }
  return files
}

const K1 = 'device="k1",job="outpost",instance="k1:8787"'
const WHISPERR = `${K1},destination="whisperr",vendor="whisperr"`

/**
 * A `promtool test rules` file: a kiosk's series over two hours, and when each alert must (not)
 * fire, with the words its annotations render to.
 */
const RULE_TESTS = `
rule_files:
  - outpost-rules.yml
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'outpost_backlog_oldest_age_seconds{${WHISPERR}}'
        values: '0+60x120'
      - series: 'outpost_destination_hold{${WHISPERR},hold="auth"}'
        values: '0 0 1x60'
      - series: 'outpost_destination_hold{${K1},destination="flywheel",vendor="flywheel",hold="not_configured"}'
        values: '1x30'
      - series: 'outpost_events_failed_total{${WHISPERR}}'
        values: '0x30 2x30'
      - series: 'outpost_outbox_events{${K1}}'
        values: '100x10 900x30'
      - series: 'outpost_outbox_max_events{${K1}}'
        values: '1000x40'
      - series: 'outpost_outbox_bytes{${K1}}'
        values: '0x40'
      - series: 'outpost_outbox_max_bytes{${K1}}'
        values: '1000000x40'
      - series: 'outpost_readiness_problem{${K1},problem="disk_full"}'
        values: '0 0 1x20'
      - series: 'outpost_readiness_problem{${K1},problem="outbox_full"}'
        values: '0x10 1x20'
      - series: 'up{job="outpost",instance="k1:8787"}'
        values: '1 1 0x30'
    alert_rule_test:
      - eval_time: 60m
        alertname: OutpostBacklogOld
        exp_alerts: []
      - eval_time: 70m
        alertname: OutpostBacklogOld
        exp_alerts:
          - exp_labels: { severity: warning, device: k1, job: outpost, instance: "k1:8787", destination: whisperr, vendor: whisperr }
            exp_annotations:
              summary: "k1: whisperr has held events for over an hour"
              description: "The oldest event waiting for whisperr (whisperr) on k1 was received 1h 10m 0s ago. outpost_destination_hold says why it does not send."
      - eval_time: 10m
        alertname: OutpostKeyRefused
        exp_alerts: []
      - eval_time: 20m
        alertname: OutpostKeyRefused
        exp_alerts:
          - exp_labels: { severity: critical, device: k1, job: outpost, instance: "k1:8787", destination: whisperr, vendor: whisperr, hold: auth }
            exp_annotations:
              summary: "k1: whisperr refuses the key of whisperr"
              description: "Outpost keeps the events and tries the key again by itself; set a working key (Set key in the console, or the config) to deliver them."
      - eval_time: 10m
        alertname: OutpostNoKey
        exp_alerts: []
      - eval_time: 20m
        alertname: OutpostNoKey
        exp_alerts:
          - exp_labels: { severity: warning, device: k1, job: outpost, instance: "k1:8787", destination: flywheel, vendor: flywheel, hold: not_configured }
            exp_annotations:
              summary: "k1: flywheel has no API key and holds its events"
      - eval_time: 20m
        alertname: OutpostEventsRefused
        exp_alerts: []
      - eval_time: 35m
        alertname: OutpostEventsRefused
        exp_alerts:
          - exp_labels: { severity: warning, device: k1, job: outpost, instance: "k1:8787", destination: whisperr, vendor: whisperr }
            exp_annotations:
              summary: "k1: whisperr refused events of whisperr for good"
              description: "They wait in the console's Failed filter for a person to edit, resend or discard them."
      - eval_time: 15m
        alertname: OutpostOutboxNearFull
        exp_alerts: []
      - eval_time: 25m
        alertname: OutpostOutboxNearFull
        exp_alerts:
          - exp_labels: { severity: warning, device: k1, job: outpost, instance: "k1:8787" }
            exp_annotations:
              summary: "k1: the outbox is over 80 % of its bound"
              description: "At the bound ingest answers 503 and apps keep their events themselves, if they can."
      - eval_time: 5m
        alertname: OutpostDiskFull
        exp_alerts:
          - exp_labels: { severity: critical, device: k1, job: outpost, instance: "k1:8787", problem: disk_full }
            exp_annotations:
              summary: "k1: the disk of Outpost's data folder is full"
              description: "Ingest answers 503 disk_full until there is space; free space on that disk."
      - eval_time: 15m
        alertname: OutpostNotReady
        exp_alerts: []
      - eval_time: 20m
        alertname: OutpostNotReady
        exp_alerts:
          - exp_labels: { severity: critical, device: k1, job: outpost, instance: "k1:8787", problem: outbox_full }
            exp_annotations:
              summary: "k1 does not take events: outbox_full"
              description: "GET /readyz on the device says what to do."
      - eval_time: 10m
        alertname: OutpostDown
        exp_alerts: []
      - eval_time: 20m
        alertname: OutpostDown
        exp_alerts:
          - exp_labels: { severity: warning, job: outpost, instance: "k1:8787" }
            exp_annotations:
              summary: "k1:8787 has not answered a scrape for 15 minutes"
              description: "The kiosk is off, offline or Outpost is not running; its events are kept on the kiosk meanwhile."
`

function promtool(dir: string, ...args: string[]): string {
  try {
    return execFileSync(PROMTOOL, args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string }
    throw new Error(`promtool ${args.join(' ')} failed:\n${stdout ?? ''}${stderr ?? ''}`)
  }
}

describe('docs/fleet.md, Monitoring', () => {
  it('names every outpost_ metric family the collector exposes, and none it does not', async () => {
    const metrics = createOutpostMetrics({
      deviceId: 'k1',
      destinations: [{ id: 'whisperr', vendor: 'whisperr' }],
      ledger: () => [],
      hold: () => null,
      queueHeads: async (ids) => ids.map((destination) => ({ destination, receivedAt: null })),
      problems: () => [],
      limits: { maxEvents: 1, maxBytes: 1 },
      now: Date.now
    })
    const exposed = new Set(
      [...(await metrics.render()).matchAll(/^# TYPE (outpost_\w+) /gm)].map((match) => match[1])
    )
    metrics.close()
    const table = readFileSync(FLEET_DOC, 'utf8').split('### Metrics')[1]!.split('###')[0]!
    const documented = new Set([...table.matchAll(/`(outpost_\w+)`/g)].map((match) => match[1]))
    expect([...documented].sort()).toEqual([...exposed].sort())
  })

  describe.skipIf(!promtoolInstalled)('with promtool', () => {
    let dir: ReturnType<typeof tempDir>
    beforeAll(() => {
      dir = tempDir('outpost-promtool')
      for (const [name, text] of yamlFilesOfDoc()) writeFileSync(join(dir.path, name), text)
      writeFileSync(join(dir.path, 'outpost-rules.test.yml'), RULE_TESTS)
    })
    afterAll(() => dir.remove())

    it('has a scrape config and a rules file that promtool takes as pasted', () => {
      expect([...yamlFilesOfDoc().keys()].sort()).toEqual(['outpost-rules.yml', 'prometheus.yml'])
      expect(promtool(dir.path, 'check', 'rules', 'outpost-rules.yml')).toMatch(/SUCCESS: 8 rules found/)
      // The config names the rules file: checking it checks that the two go together.
      expect(promtool(dir.path, 'check', 'config', 'prometheus.yml')).toMatch(
        /SUCCESS: prometheus\.yml is valid/
      )
    })

    it('fires each alert when its condition has lasted, not before, with its words filled in', () => {
      expect(promtool(dir.path, 'test', 'rules', 'outpost-rules.test.yml')).toMatch(/SUCCESS/)
    })
  })
})

if (!promtoolInstalled) console.warn(`SKIPPED: checking docs/fleet.md's Prometheus files needs ${PROMTOOL}`)
