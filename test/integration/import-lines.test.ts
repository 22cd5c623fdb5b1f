import { openAsBlob, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EventStatus, ImportOptions, ImportProgress, ImportSummary } from '../../src/shared/model'
import { uploadImport } from '../../src/shared/http-client'
import { startTestCollector, type TestCollector } from '../support/collector'
import { tempDir } from '../support/temp'
import { messageIdOf, whisperrEvent } from '../support/whisperr-events'

const BEARER = { authorization: 'Bearer test-token' }
const dir = tempDir('outpost-import-lines')
afterAll(() => dir.remove())

interface LineFields {
  id: number
  destination?: string
  vendor?: string | null
  kind?: string
  messageId?: string
  status?: EventStatus
  payload: string
  receivedPayload?: string
  upstreamParams?: string
}

/** A line as an NDJSON export writes it (store/export-stream.ts): payloads as JSON values. */
function exportLine(fields: LineFields): string {
  const { id, destination = 'whisperr', vendor = 'whisperr', kind = 'track', status = 'queued' } = fields
  const messageId = fields.messageId ?? `m-${id}-${Math.random().toString(36).slice(2)}`
  return (
    `{"id":${id},"destination":${JSON.stringify(destination)},"kind":"${kind}","name":"x","userKey":null,` +
    `"messageId":${JSON.stringify(messageId)},"status":"${status}","attempts":0,"occurredAt":null,` +
    `"receivedAt":"2026-01-01T00:00:00.000Z","sentAt":null,"nextAttemptAt":null,"lastStatus":null,` +
    `"lastError":null,"vendor":${JSON.stringify(vendor)},"upstreamParams":${fields.upstreamParams ?? 'null'},` +
    `"receivedPayload":${fields.receivedPayload ?? fields.payload},"payload":${fields.payload},"revision":0}`
  )
}

/** A Whisperr track's text, and the export line of it under its own message id. */
function whisperrLine(id: number, fields: Partial<LineFields> = {}, overrides: Record<string, unknown> = {}) {
  const event = whisperrEvent(overrides)
  const payload = JSON.stringify(event)
  return { payload, line: exportLine({ id, messageId: messageIdOf(event), payload, ...fields }) }
}

let files = 0
/** An export file of these lines, newest first as an export writes them (the highest id first). */
function fileOf(lines: string[]): string {
  const path = join(dir.path, `export-${files++}.ndjson`)
  writeFileSync(path, `${lines.join('\n')}\n`)
  return path
}

async function importInto(
  collector: TestCollector,
  path: string,
  options: ImportOptions = {},
  progress: ImportProgress[] = []
): Promise<ImportSummary> {
  return uploadImport({ baseUrl: collector.url, token: 'test-token' }, await openAsBlob(path), options, (p) =>
    progress.push(p)
  )
}

describe('what an import does with each line', () => {
  let here: TestCollector

  beforeAll(async () => {
    // Without keys: what is imported stays queued, to be read back as stored.
    here = await startTestCollector({
      destinations: [
        { id: 'whisperr', vendor: 'whisperr' },
        { id: 'whisperr-2', vendor: 'whisperr' },
        { id: 'flywheel', vendor: 'flywheel' }
      ],
      ingest: { bodyLimitBytes: 20_000 }
    })
  })
  afterAll(() => here?.close())

  const storedPayloads = async (destination: string) => {
    const { events } = await here.api.listEvents({ destination })
    return Promise.all(events.map(async ({ id }) => (await here.api.getEvent({ id }))!))
  }

  it('skips delivered and discarded events, takes failed ones as queued, and keeps an edit beside what was received', async () => {
    const delivered = whisperrLine(4, { status: 'sent' })
    const discarded = whisperrLine(3, { status: 'discarded' })
    const failed = whisperrLine(2, { status: 'failed' })
    const original = whisperrEvent()
    const editedText = JSON.stringify({ ...original, event_type: 'plan_upgraded' })
    const edited = exportLine({
      id: 1,
      messageId: messageIdOf(original),
      status: 'failed',
      receivedPayload: JSON.stringify(original),
      payload: editedText
    })
    const summary = await importInto(here, fileOf([delivered.line, discarded.line, failed.line, edited]))
    expect(summary).toMatchObject({ lines: 4, imported: 2, delivered: 1, discarded: 1, refused: 0 })
    const stored = await storedPayloads('whisperr')
    expect(
      stored.map((event) => [event.status, event.attempts, event.payload, event.receivedPayload])
    ).toEqual([
      ['queued', 0, failed.payload, failed.payload],
      ['queued', 0, editedText, JSON.stringify(original)]
    ])
    expect(stored[1]).toMatchObject({ name: 'plan_upgraded', messageId: messageIdOf(original) })
  })

  it('lists the destinations it has none for, and imports them where the person maps them', async () => {
    const lines = [
      whisperrLine(3, { destination: 'kiosk-whisperr' }),
      exportLine({
        id: 2,
        destination: 'kiosk-fly',
        vendor: 'flywheel',
        payload: '{"event":{"event":"purchase"}}'
      }),
      whisperrLine(1, { destination: 'kiosk-whisperr' })
    ]
    const path = fileOf(lines.map((line) => (typeof line === 'string' ? line : line.line)))
    expect(await importInto(here, path)).toMatchObject({
      lines: 3,
      imported: 0,
      refused: 3,
      problems: [],
      unmatched: [
        { destination: 'kiosk-whisperr', vendor: 'whisperr', events: 2 },
        { destination: 'kiosk-fly', vendor: 'flywheel', events: 1 }
      ]
    })
    const mapped = await importInto(here, path, { destinations: { 'kiosk-whisperr': 'whisperr-2' } })
    expect(mapped).toMatchObject({
      imported: 2,
      refused: 1,
      unmatched: [{ destination: 'kiosk-fly', events: 1 }]
    })
    expect((await here.api.listEvents({ destination: 'whisperr-2' })).events).toHaveLength(2)
  })

  it('refuses by number: another vendor, the vendor rules, a line that is no export line, one too long', async () => {
    const flywheelLine = exportLine({
      id: 5,
      destination: 'fly',
      vendor: 'flywheel',
      payload: '{"event":{"event":"a"}}'
    })
    const badName = whisperrLine(4, {}, { event_type: 'Signed Up' })
    const tooLong = whisperrLine(2, {}, { properties: { pad: 'x'.repeat(120_000) } })
    const path = fileOf([flywheelLine, badName.line, '{"hello":1}', tooLong.line, '', whisperrLine(1).line])
    const summary = await importInto(here, path, { destinations: { fly: 'whisperr' } })
    expect(summary).toMatchObject({ lines: 5, imported: 1, refused: 4, unlistedProblems: 0, stopped: null })
    expect(summary.problems).toEqual([
      {
        line: 1,
        reason:
          'it is a flywheel event (destination "fly") and "whisperr" here is Whisperr: an event goes only to a destination of its own vendor'
      },
      { line: 2, reason: expect.stringMatching(/^Whisperr refuses it: event_type must be snake_case/) },
      { line: 3, reason: expect.stringMatching(/^is not an Outpost export line: .*destination is required/) },
      { line: 4, reason: `is longer than the ${2 * 20_000 + 64 * 1024} bytes an event's line can be` }
    ])
  })

  it('lists the first 100 refused lines and counts the rest; refuses a payload as received nested too deep', async () => {
    const deep = `${'{"a":'.repeat(40)}1${'}'.repeat(40)}`
    const edited = whisperrLine(200, { receivedPayload: deep })
    const garbage = Array.from({ length: 104 }, () => 'not json')
    // No id on its last line: the file is read as it is written.
    const summary = await importInto(here, fileOf([edited.line, ...garbage]))
    expect(summary).toMatchObject({ lines: 105, imported: 0, refused: 105, unlistedProblems: 5 })
    expect(summary.problems).toHaveLength(100)
    expect(summary.problems[0]).toEqual({ line: 1, reason: 'its receivedPayload is not valid JSON' })
    expect(summary.problems[99]).toEqual({ line: 100, reason: expect.stringMatching(/^is not JSON/) })
  })

  it('takes a file written oldest first in its own order', async () => {
    const oldestFirst = [1, 2, 3].map((id) => whisperrLine(id, { destination: 'ordered' }))
    const summary = await importInto(here, fileOf(oldestFirst.map((line) => line.line)), {
      destinations: { ordered: 'whisperr-2' }
    })
    expect(summary).toMatchObject({ imported: 3 })
    const stored = await storedPayloads('whisperr-2')
    // Newest first in the list: the file's last line was stored last.
    expect(stored.slice(0, 3).map((event) => event.payload)).toEqual(
      oldestFirst.map((l) => l.payload).reverse()
    )
  })

  it('refuses before reading the upload: no sign-in, a mapping to nowhere, another content type', async () => {
    const path = fileOf([whisperrLine(1).line])
    const upload = async (query: string, headers: Record<string, string>) => {
      const response = await fetch(`${here.url}/api/events/import${query}`, {
        method: 'POST',
        headers,
        body: '{}\n'
      })
      return { status: response.status, error: ((await response.json()) as { error: string }).error }
    }
    const anonymous = await upload('', { 'content-type': 'application/x-ndjson' })
    expect(anonymous).toEqual({ status: 401, error: 'not_signed_in' })
    await expect(importInto(here, path, { destinations: { kiosk: 'nowhere' } })).rejects.toMatchObject({
      status: 400,
      code: 'invalid_input',
      message: 'No destination "nowhere" here to import the events of "kiosk" into'
    })
    const badMap = await upload('?map=kiosk', { ...BEARER, 'content-type': 'application/x-ndjson' })
    expect(badMap).toEqual({ status: 400, error: 'invalid_input' })
    const gzipped = await upload('', {
      ...BEARER,
      'content-type': 'application/x-ndjson',
      'content-encoding': 'gzip'
    })
    expect(gzipped).toEqual({ status: 415, error: 'unsupported_encoding' })
    const json = await upload('', { ...BEARER, 'content-type': 'application/json' })
    expect(json).toEqual({ status: 415, error: 'unsupported_media_type' })
  })
})

describe('an import that cannot finish', () => {
  it('stops where the outbox is full, saying which lines were not imported', async () => {
    const small = await startTestCollector({
      destinations: [{ id: 'whisperr', vendor: 'whisperr' }],
      storage: { maxEvents: 3 }
    })
    try {
      const lines = [5, 4, 3, 2, 1].map((id) => whisperrLine(id).line)
      const summary = await importInto(small, fileOf(lines))
      expect(summary).toMatchObject({ lines: 3, imported: 3 })
      expect(summary.stopped).toEqual({
        line: 2,
        reason:
          'The outbox is full (storage.maxEvents or storage.maxBytes): delivery must make room first; it and the lines above it were not imported: import the file again later (what was imported is then a duplicate)'
      })
      expect((await small.api.getStats({})).counts.queued).toBe(3)
    } finally {
      await small.close()
    }
  })

  it('stops before its next line when the collector stops, keeping what it stored', async () => {
    const stopping = await startTestCollector({ destinations: [{ id: 'whisperr', vendor: 'whisperr' }] })
    const lines = Array.from({ length: 20_000 }, (_, i) => whisperrLine(20_000 - i).line)
    const progress: ImportProgress[] = []
    const running = importInto(stopping, fileOf(lines), {}, progress)
    await expect.poll(() => progress.length, { timeout: 30_000 }).toBeGreaterThan(0)
    await stopping.collector.close()
    const summary = await running
    expect(summary.stopped?.reason).toMatch(
      /^Outpost is stopping; it and the lines above it were not imported/
    )
    expect(summary.imported).toBeGreaterThan(0)
    expect(summary.imported).toBeLessThan(20_000)
    await stopping.restart()
    try {
      expect((await stopping.api.getStats({})).counts.queued).toBe(summary.imported)
    } finally {
      await stopping.close()
    }
  })
})
