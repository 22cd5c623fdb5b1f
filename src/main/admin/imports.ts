import Ajv from 'ajv'
import { createWriteStream } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough, Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { FastifyInstance, FastifyReply, onRequestHookHandler } from 'fastify'
import { importUpload, type ImportAnswerLine } from '@shared/api'
import type { ImportOptions, ImportProgress, ImportSummary } from '@shared/model'
import { storageFailure } from '../store/storage-errors'
import { checkImportOptions, importEventsFile, ImportInputError, type ImportDeps } from './event-import'

/** Another import runs: one at a time, so two people do not import the same file at once. */
export class ImportRunningError extends Error {
  override name = 'ImportRunningError'
  constructor() {
    super('An import is running on this collector: wait for it to end, then import again')
  }
}

/** The one import a collector runs at a time, held from the moment a file is asked for. */
export interface ImportSlot {
  run(path: string, onProgress: (progress: ImportProgress) => void): Promise<ImportSummary>
  /** Gives the slot back without importing: the person cancelled, the upload failed. */
  release(): void
}

export interface EventImports {
  /**
   * Checks the options (ImportInputError) and takes the import slot at once, before anything is read
   * (no await between the check and the taking); throws ImportRunningError while it is taken.
   */
  begin(options: ImportOptions): ImportSlot
  /** Ends a running import before its next line and waits for it; later imports stop at their first. */
  close(): Promise<void>
}

export function createEventImports(deps: ImportDeps): EventImports {
  let taken = false
  let running: Promise<unknown> | null = null
  let closing = false
  return {
    begin(options) {
      checkImportOptions(options, deps.destinations)
      if (taken) throw new ImportRunningError()
      taken = true
      let released = false
      const release = () => {
        if (released) return
        released = true
        taken = false
      }
      return {
        release,
        run(path, onProgress) {
          const done = importEventsFile(path, { options, onProgress, stopping: () => closing }, deps)
          running = done.finally(release)
          return done
        }
      }
    },
    async close() {
      closing = true
      await running?.catch(() => undefined)
    }
  }
}

/** A private copy of an upload, so the upload is not held to the import's pace (nor to the request timeout). */
async function spool(body: Readable): Promise<{ path: string; remove(): Promise<void> }> {
  // Owner-only folder and file: the events' payloads are in it until the import ends.
  const folder = await mkdtemp(join(tmpdir(), 'outpost-import-'))
  const remove = () => rm(folder, { recursive: true, force: true })
  const path = join(folder, 'upload.ndjson')
  try {
    await pipeline(body, createWriteStream(path, { mode: 0o600 }))
  } catch (error) {
    await remove()
    throw error
  }
  return { path, remove }
}

/** `?map=a:b&map=c:d` as ImportOptions. */
function optionsOf(map: string[] | undefined): ImportOptions {
  if (!map) return {}
  return { destinations: Object.fromEntries(map.map((pair) => pair.split(':') as [string, string])) }
}

function refuse(reply: FastifyReply, status: number, error: string, message: string) {
  return reply.code(status).header('connection', 'close').send({ error, message })
}

const line = (answer: ImportAnswerLine) => `${JSON.stringify(answer)}\n`

/**
 * `POST /api/events/import`: the upload is copied to a private temporary file as fast as it comes,
 * then imported from there; the answer streams the progress and ends with the summary (see
 * `importUpload`). Closing the page does not stop an import whose upload arrived.
 */
export function registerImportUpload(
  app: FastifyInstance,
  deps: { imports: EventImports; onRequest: onRequestHookHandler }
): void {
  const validate = new Ajv({ allErrors: true, coerceTypes: 'array' }).compile(importUpload.input)
  // A scope of its own: the body is a stream here, never parsed or held as JSON bodies are elsewhere.
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser('*', (_request, body, done) => done(null, body))
    scope.route({
      method: 'POST',
      url: importUpload.path,
      onRequest: deps.onRequest,
      handler: async (request, reply) => {
        const query: unknown = { ...(request.query as object) }
        if (!validate(query)) {
          const details = (validate.errors ?? []).map((e) => `${e.instancePath || 'input'} ${e.message}`)
          return refuse(reply, 400, 'invalid_input', `Invalid input for the import: ${details.join('; ')}`)
        }
        const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase()
        if (type !== importUpload.contentType) {
          return refuse(
            reply,
            415,
            'unsupported_media_type',
            `Send the NDJSON export as the body with Content-Type: ${importUpload.contentType}`
          )
        }
        const encoding = request.headers['content-encoding']
        if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
          return refuse(reply, 415, 'unsupported_encoding', 'Send the export as it is, not compressed')
        }
        if (!(request.body instanceof Readable)) {
          return refuse(reply, 400, 'empty_body', 'The body is empty: send the NDJSON export')
        }
        let slot: ImportSlot
        try {
          slot = deps.imports.begin(optionsOf((query as { map?: string[] }).map))
        } catch (error) {
          if (error instanceof ImportInputError) return refuse(reply, 400, 'invalid_input', error.message)
          return refuse(reply, 409, 'conflict', (error as Error).message)
        }
        let upload: Awaited<ReturnType<typeof spool>>
        try {
          upload = await spool(request.body)
        } catch (error) {
          slot.release()
          const storage = storageFailure(error)
          if (storage) return refuse(reply, 503, storage.error, storage.message)
          throw error
        }
        const answer = new PassThrough()
        slot
          .run(upload.path, (progress) => answer.write(line({ progress })))
          .then(
            (summary) => answer.end(line({ summary })),
            (error: unknown) => {
              console.error('[outpost] import failed', error)
              answer.end(line({ error: { code: 'internal', message: (error as Error).message } }))
            }
          )
          .finally(() => void upload.remove())
        return reply
          .header('content-type', `${importUpload.contentType}; charset=utf-8`)
          .header('cache-control', 'no-store')
          .send(answer)
      }
    })
  })
}
