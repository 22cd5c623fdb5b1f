import { open, stat } from 'node:fs/promises'
import {
  EVENT_KINDS,
  EVENT_STATUSES,
  IMPORT_PROBLEMS_LISTED,
  type EventKind,
  type EventStatus,
  type ImportCounts,
  type ImportOptions,
  type ImportProblem,
  type ImportProgress,
  type ImportSummary,
  type UnmatchedDestination
} from '@shared/model'
import type { Destination } from '../config'
import { acceptEdited } from '../connectors/edits'
import { parseJsonText, topLevelFieldTexts } from '../connectors/json-text'
import { ajv, describeProblems, problemsOf } from '../connectors/validation'
import { OutboxFullError, type GroupCommitWriter } from '../ingest/group-commit'
import { withKnownDeviceIds } from '../ingest/devices'
import type { NewEvent } from '../store'
import { storageFailure } from '../store/storage-errors'
import { countLines, linesBackward, linesForward, type FileLine } from './file-lines'

/**
 * Import: the events of an NDJSON export (store/export-stream.ts) of another collector, stored here
 * as if their apps had sent them here. A kiosk that never got online hands its events to one that
 * does. What holds:
 *
 * - Each line is checked by its vendor's own ingest rules (the route an edit goes through,
 *   connectors/edits.ts, with the request parameters it came with) and stored through the group-commit
 *   writer, like any ingest request: the bounds (a full outbox stops the import), the ledger's
 *   triggers and delivery's wake-up all apply. Each line is its own request, so one refusal refuses
 *   only its line; a batch of lines shares one transaction (and one fsync) with whatever ingest
 *   requests arrive meanwhile.
 * - An event keeps the message id it had, and a line whose message id its destination holds already
 *   is a duplicate (the same file imported twice, or an event its app also sent here with the same
 *   key), never a second event. That id is Whisperr's `$message_id`, the client's Idempotency-Key
 *   (with the event's place in the request), or for a call without a key the id the exporting
 *   collector made for it, 128 random bits no other event has: so it is the same event, not one that
 *   looks alike. Its text is not compared: NDJSON turned a payload's line breaks into spaces. A
 *   Weespin registration's provisional device id is derived from its message id, so the device's
 *   events find their registration here too.
 * - Oldest first, whichever way the file was written (an export is newest first): each user's
 *   events are stored, and so delivered, in the order the exporting collector took them.
 * - Delivered events are skipped (they reached the vendor: sending them again would count them twice
 *   at every vendor without a key), and so are events a person discarded. Waiting and failed ones
 *   come in queued: a refusal there may be one this destination does not meet (another key, a fixed
 *   project), and one it meets fails here at the first attempt, with the vendor's answer in its log.
 * - Nothing is held but a block of the file, one line and one batch.
 */

/** A batch of lines stored together: bounded so that a turn of the event loop stays short for ingest. */
const BATCH_LINES = 100
const BATCH_BYTES = 256 * 1024
const PROGRESS_EVERY_MS = 250

export interface ImportDeps {
  destinations: Destination[]
  writer: GroupCommitWriter
  realDeviceId(destination: string, provisionalId: string): string | null
  now(): number
  /** The longest line read: two payloads of the largest body ingest takes, and the rest of the line. */
  maxLineBytes: number
}

export interface ImportRun {
  options: ImportOptions
  onProgress(progress: ImportProgress): void
  /** Checked before each line: true ends the import there (Outpost is stopping). */
  stopping(): boolean
}

/** The input names a destination this collector does not have. */
export class ImportInputError extends Error {
  override name = 'ImportInputError'
}

/** What a line of an export holds that the import reads; payloads as their text in the line. */
interface ExportLine {
  destination: string
  vendor: string | null
  kind: EventKind
  messageId: string
  status: EventStatus
  upstreamParams: Record<string, string> | null
  payload: string
  receivedPayload: string
}

const validateLine = ajv.compile({
  type: 'object',
  required: ['destination', 'kind', 'messageId', 'status', 'payload'],
  properties: {
    destination: { type: 'string', minLength: 1, maxLength: 64 },
    vendor: { type: ['string', 'null'] },
    kind: { enum: [...EVENT_KINDS] },
    messageId: { type: 'string', minLength: 1, maxLength: 1024 },
    status: { enum: [...EVENT_STATUSES] },
    upstreamParams: { type: ['object', 'null'], additionalProperties: { type: 'string' } }
  }
})

const utf8 = new TextDecoder('utf-8', { fatal: true })

type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string }

/** A line as an export wrote it, or why it is not one. */
function parseLine(bytes: Buffer): Parsed<ExportLine> {
  let text: string
  try {
    text = utf8.decode(bytes)
  } catch {
    return { ok: false, reason: 'is not UTF-8 text' }
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    return { ok: false, reason: `is not JSON: ${(error as Error).message}` }
  }
  const problems = problemsOf(validateLine, value)
  if (problems.length > 0)
    return { ok: false, reason: `is not an Outpost export line: ${describeProblems(problems)}` }
  const line = value as Omit<ExportLine, 'payload' | 'receivedPayload'>
  const texts = topLevelFieldTexts(text, ['payload', 'receivedPayload'])
  const payload = texts.get('payload') as string
  return {
    ok: true,
    value: {
      destination: line.destination,
      vendor: line.vendor ?? null,
      kind: line.kind,
      messageId: line.messageId,
      status: line.status,
      upstreamParams: line.upstreamParams ?? null,
      payload,
      receivedPayload: texts.get('receivedPayload') ?? payload
    }
  }
}

/** What becomes of one line. */
type LineOutcome =
  | { kind: 'store'; event: NewEvent }
  | { kind: 'skip'; as: 'delivered' | 'discarded' }
  | { kind: 'refuse'; reason: string }
  | { kind: 'unmatched'; destination: string; vendor: string | null }

/** Checks a line's event by its destination's vendor rules and makes the event stored here. */
function eventOf(line: ExportLine, destination: Destination, deps: ImportDeps): LineOutcome {
  const { connector } = destination
  if (!connector) {
    return {
      kind: 'refuse',
      reason: `"${destination.id}" here is a ${destination.label} destination: it takes events only from the destinations it is fed by; import into one of them`
    }
  }
  const upstreamParams = line.upstreamParams === null ? null : JSON.stringify(line.upstreamParams)
  const outcome = acceptEdited(connector, { kind: line.kind, upstreamParams }, line.payload, deps.now())
  if (!outcome.ok) {
    return { kind: 'refuse', reason: `${connector.label} refuses it: ${describeProblems(outcome.problems)}` }
  }
  const edited = line.receivedPayload !== line.payload
  if (edited && !parseJsonText(line.receivedPayload).ok) {
    return { kind: 'refuse', reason: 'its receivedPayload is not valid JSON' }
  }
  let event: NewEvent = { ...outcome.event, messageId: line.messageId, destination: destination.id }
  if (connector.devices) {
    const realIdOf = (provisional: string) => deps.realDeviceId(destination.id, provisional)
    event = { ...event, ...withKnownDeviceIds([event], connector.devices, realIdOf)[0] }
  }
  // What the client sent stays beside what is sent: a person's edit, or a device id made real.
  return { kind: 'store', event: edited ? { ...event, receivedPayload: line.receivedPayload } : event }
}

function outcomeOf(bytes: Buffer, options: ImportOptions, deps: ImportDeps): LineOutcome {
  const parsed = parseLine(bytes)
  if (!parsed.ok) return { kind: 'refuse', reason: parsed.reason }
  const line = parsed.value
  if (line.status === 'sent') return { kind: 'skip', as: 'delivered' }
  if (line.status === 'discarded') return { kind: 'skip', as: 'discarded' }
  const target = options.destinations?.[line.destination] ?? line.destination
  const destination = deps.destinations.find((candidate) => candidate.id === target)
  if (!destination) return { kind: 'unmatched', destination: line.destination, vendor: line.vendor }
  if (line.vendor !== null && line.vendor !== destination.vendor) {
    return {
      kind: 'refuse',
      reason: `it is a ${line.vendor} event (destination "${line.destination}") and "${destination.id}" here is ${destination.label}: an event goes only to a destination of its own vendor`
    }
  }
  return eventOf(line, destination, deps)
}

/** Why storing stopped: the outbox full, the disk full or damaged. Anything else is a failure of the import. */
function stopReason(error: unknown): string {
  if (error instanceof OutboxFullError) {
    return 'The outbox is full (storage.maxEvents or storage.maxBytes): delivery must make room first'
  }
  const storage = storageFailure(error)
  if (storage) return storage.message
  throw error
}

/** The tally of one import. */
class ImportTally {
  readonly counts: ImportCounts = {
    lines: 0,
    imported: 0,
    duplicates: 0,
    delivered: 0,
    discarded: 0,
    refused: 0
  }
  private readonly problems: ImportProblem[] = []
  private unlisted = 0
  private readonly unmatched = new Map<string, UnmatchedDestination>()
  stopped: ImportProblem | null = null

  count(counter: Exclude<keyof ImportCounts, 'lines'>): void {
    this.counts.lines++
    this.counts[counter]++
  }

  refuse(line: number, reason: string): void {
    this.count('refused')
    if (this.problems.length < IMPORT_PROBLEMS_LISTED) this.problems.push({ line, reason })
    else this.unlisted++
  }

  unmatchedLine(destination: string, vendor: string | null): void {
    this.count('refused')
    const entry = this.unmatched.get(destination) ?? { destination, vendor, events: 0 }
    entry.events++
    this.unmatched.set(destination, entry)
  }

  summary(): ImportSummary {
    return {
      ...this.counts,
      problems: [...this.problems].sort((a, b) => a.line - b.line),
      unlistedProblems: this.unlisted,
      unmatched: [...this.unmatched.values()],
      stopped: this.stopped
    }
  }
}

const EXPORT_ID = /^\s*\{\s*"id"\s*:\s*(\d+)/
const HEAD_BYTES = 64

/** The exporting collector's id of the event a line starts with (an export writes it first). */
function exportedIdOf(head: Buffer): number | null {
  const match = EXPORT_ID.exec(head.subarray(0, HEAD_BYTES).toString('latin1'))
  return match ? Number(match[1]) : null
}

/** Whether a line holds nothing but whitespace: read up to its first other byte. */
function isBlank(bytes: Buffer): boolean {
  for (const byte of bytes) if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0d) return false
  return true
}

async function fileHead(path: string): Promise<Buffer> {
  const file = await open(path, 'r')
  try {
    const head = Buffer.alloc(HEAD_BYTES)
    const { bytesRead } = await file.read(head, 0, HEAD_BYTES, 0)
    return head.subarray(0, bytesRead)
  } finally {
    await file.close()
  }
}

/**
 * A file's lines, oldest event first: from the end when its first event is newer than its last, as
 * in an export. The lines read from the end to find the last event come first in `peeked`.
 */
async function linesOldestFirst(path: string, maxLineBytes: number) {
  const backward = linesBackward(path, maxLineBytes, await countLines(path))
  const peeked: FileLine[] = []
  let lastId: number | null = null
  // Past blank and overlong lines (which hold no bytes) to the last line with text.
  for (let next = await backward.next(); !next.done; next = await backward.next()) {
    peeked.push(next.value)
    if (next.value.bytes !== null && !isBlank(next.value.bytes)) {
      lastId = exportedIdOf(next.value.bytes)
      break
    }
  }
  const firstId = exportedIdOf(await fileHead(path))
  if (firstId !== null && lastId !== null && firstId > lastId) {
    return { newestFirst: true, peeked, rest: backward }
  }
  await backward.return(undefined)
  return { newestFirst: false, peeked: [], rest: linesForward(path, maxLineBytes) }
}

/** Refuses a mapping to a destination this collector does not have, before any file is read. */
export function checkImportOptions(options: ImportOptions, destinations: Destination[]): void {
  for (const [from, to] of Object.entries(options.destinations ?? {})) {
    if (!destinations.some((destination) => destination.id === to)) {
      throw new ImportInputError(`No destination "${to}" here to import the events of "${from}" into`)
    }
  }
}

/** Imports the NDJSON export at `path`; see the top of this module for what holds. */
export async function importEventsFile(
  path: string,
  run: ImportRun,
  deps: ImportDeps
): Promise<ImportSummary> {
  checkImportOptions(run.options, deps.destinations)
  const totalBytes = (await stat(path)).size
  const tally = new ImportTally()
  const { newestFirst, peeked, rest } = await linesOldestFirst(path, deps.maxLineBytes)
  let bytes = 0
  let lastProgress = 0
  let batch: { line: number; event: NewEvent }[] = []
  let batchBytes = 0

  const stop = (line: number, reason: string) => {
    const notRead = newestFirst ? 'it and the lines above it' : 'it and the lines below it'
    tally.stopped = {
      line,
      reason: `${reason}; ${notRead} were not imported: import the file again later (what was imported is then a duplicate)`
    }
  }

  const storeBatch = async () => {
    const results = await Promise.allSettled(batch.map(({ event }) => deps.writer.write([event])))
    results.forEach((result, index) => {
      const { line } = batch[index] as { line: number }
      if (result.status === 'rejected') {
        if (!tally.stopped) stop(line, stopReason(result.reason))
      } else tally.count(result.value.inserted > 0 ? 'imported' : 'duplicates')
    })
    batch = []
    batchBytes = 0
  }

  const report = (force: boolean) => {
    const now = Date.now()
    if (!force && now - lastProgress < PROGRESS_EVERY_MS) return
    lastProgress = now
    run.onProgress({ ...tally.counts, bytes, totalBytes })
  }

  /** Takes one line; false when the import ends before it. */
  const take = async (line: FileLine): Promise<boolean> => {
    if (run.stopping()) {
      await storeBatch()
      if (!tally.stopped) stop(line.number, 'Outpost is stopping')
      return false
    }
    bytes += line.size
    if (line.bytes === null) {
      tally.refuse(line.number, `is longer than the ${deps.maxLineBytes} bytes an event's line can be`)
    } else if (!isBlank(line.bytes)) {
      const outcome = outcomeOf(line.bytes, run.options, deps)
      if (outcome.kind === 'store') {
        batch.push({ line: line.number, event: outcome.event })
        batchBytes += line.bytes.length
      } else if (outcome.kind === 'skip') tally.count(outcome.as)
      else if (outcome.kind === 'refuse') tally.refuse(line.number, outcome.reason)
      else tally.unmatchedLine(outcome.destination, outcome.vendor)
    }
    if (batch.length >= BATCH_LINES || batchBytes >= BATCH_BYTES) await storeBatch()
    report(false)
    return tally.stopped === null
  }

  try {
    let going = true
    for (const line of peeked) if (going) going = await take(line)
    if (going) for await (const line of rest) if (!(await take(line))) break
    if (!tally.stopped) await storeBatch()
  } finally {
    await rest.return(undefined)
  }
  report(true)
  return tally.summary()
}
