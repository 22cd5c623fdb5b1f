import Ajv from 'ajv'
import addFormats from 'ajv-formats'
import { createWriteStream } from 'node:fs'
import { rm } from 'node:fs/promises'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { FastifyInstance, onRequestHookHandler } from 'fastify'
import { exportDownload, type ExportFormat } from '@shared/api'
import type { EventFilter } from '@shared/model'
import type { EventExports } from '../store/export-stream'

const CONTENT_TYPES: Record<ExportFormat, string> = {
  json: 'application/json; charset=utf-8',
  ndjson: 'application/x-ndjson; charset=utf-8',
  csv: 'text/csv; charset=utf-8; header=present'
}

/** `outpost-events-2026-11-24T09-20-05Z.ndjson`: sortable, and legal on every file system. */
export function exportFileName(exportedAt: string, format: ExportFormat): string {
  return `outpost-events-${exportedAt.replace(/\.\d+Z$/, 'Z').replace(/:/g, '-')}.${format}`
}

/**
 * Writes an export to `path` as fast as the disk takes it (pipeline waits for 'drain'), owner-only
 * like the outbox it copies. A failed or cut-short export leaves no file that could pass for whole.
 */
export async function writeExportFile(stream: Readable, path: string): Promise<void> {
  try {
    await pipeline(stream, createWriteStream(path, { mode: 0o600 }))
  } catch (error) {
    await rm(path, { force: true })
    throw error
  }
}

/**
 * `GET /api/events/export`: the export streamed as a download, as fast as the client reads it
 * (fastify pipes the stream, so a slow client holds a page, not the file). An answer cut short (the
 * collector stopping, a read failing) is an aborted response, never a file that ends cleanly.
 */
export function registerExportDownload(
  app: FastifyInstance,
  deps: { exports: EventExports; now(): number; onRequest: onRequestHookHandler }
): void {
  const ajv = addFormats(new Ajv({ allErrors: true, coerceTypes: true }), ['date-time'])
  const validate = ajv.compile(exportDownload.input)
  app.route({
    method: 'GET',
    url: exportDownload.path,
    // A HEAD (a link preview) would read the outbox for nothing.
    exposeHeadRoute: false,
    onRequest: deps.onRequest,
    handler: async (request, reply) => {
      const input: unknown = { ...(request.query as object) }
      if (!validate(input)) {
        const details = (validate.errors ?? [])
          .map((e) => `${e.instancePath || 'input'} ${e.message}`)
          .join('; ')
        return reply
          .code(400)
          .send({ error: 'invalid_input', message: `Invalid input for the export: ${details}` })
      }
      const { format = 'json', ...filter } = input as EventFilter & { format?: ExportFormat }
      const exportedAt = new Date(deps.now()).toISOString()
      const stream = deps.exports.open({ filter, format, exportedAt })
      return reply
        .header('content-type', CONTENT_TYPES[format])
        .header('content-disposition', `attachment; filename="${exportFileName(exportedAt, format)}"`)
        .header('cache-control', 'no-store')
        .header('x-content-type-options', 'nosniff')
        .send(stream)
    }
  })
}
