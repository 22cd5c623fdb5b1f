import { apiMethods, type ApiMethod, type Envelope, type OutpostApi } from './api'
import { ApiRequestError } from './api-error'
import type { ExportProgress, ImportProgress } from './model'

/**
 * What the preload exposes as `window.outpost`: one function per contract method, answering the
 * method's IPC envelope as plain data, and subscriptions to the progress of an export to a file and
 * of an import from one (each returns the function that ends it).
 */
export type OutpostBridge = {
  [M in ApiMethod]: (
    input: Parameters<OutpostApi[M]>[0]
  ) => Promise<Envelope<Awaited<ReturnType<OutpostApi[M]>>>>
} & {
  onExportProgress(listener: (progress: ExportProgress) => void): () => void
  onImportProgress(listener: (progress: ImportProgress) => void): () => void
}

/**
 * The IPC transport of OutpostApi, on the renderer's side of the bridge: a refusal becomes the
 * same ApiRequestError the HTTP client throws, with its status, code and per-field problems.
 */
export function createBridgeClient(bridge: OutpostBridge): OutpostApi {
  const client: Record<string, unknown> = {}
  for (const method of apiMethods) {
    const call = bridge[method] as (input: unknown) => Promise<Envelope<unknown>>
    client[method] = async (input: unknown) => valueOf(await call(input))
  }
  return client as unknown as OutpostApi
}

function valueOf<T>(envelope: Envelope<T>): T {
  if (envelope.ok) return envelope.value
  const { message, status, code, problems } = envelope.error
  throw new ApiRequestError(message, status, code, problems)
}
