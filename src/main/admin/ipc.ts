import { userInfo } from 'node:os'
import { ipcMain, type IpcMainInvokeEvent } from 'electron'
import { apiContract, apiMethods, type Envelope, type OutpostApi } from '@shared/api'
import { createApiDispatcher, toApiError } from './contract'

/**
 * The admin API over IPC: one handler per contract entry, each checking that the call comes
 * from our own window's top frame before it validates the input and answers in an envelope.
 */
export function registerIpcApi(
  service: OutpostApi,
  isTrustedSender: (event: IpcMainInvokeEvent) => boolean
): () => void {
  const dispatch = createApiDispatcher(service, {
    coerce: false,
    context: { actor: `desktop app (${userInfo().username})` }
  })
  for (const method of apiMethods) {
    ipcMain.handle(apiContract[method].channel, async (event, input: unknown): Promise<Envelope<unknown>> => {
      // 403, not 401: no token would help, and the app's own window never gets this.
      if (!isTrustedSender(event))
        return { ok: false, error: { code: 'unauthorized', status: 403, message: 'Untrusted sender' } }
      try {
        return { ok: true, value: await dispatch(method, input) }
      } catch (error) {
        const { status, error: refusal } = toApiError(error)
        return { ok: false, error: { ...refusal, status } }
      }
    })
  }
  return () => apiMethods.forEach((method) => ipcMain.removeHandler(apiContract[method].channel))
}
