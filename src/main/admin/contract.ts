import Ajv, { type ValidateFunction } from 'ajv'
import addFormats from 'ajv-formats'
import { apiContract, apiMethods, type ApiError, type ApiMethod, type OutpostApi } from '@shared/api'
import { CorrectionError } from '../store'
import { UnbuildableRequestError } from './request-preview'
import { ImportInputError } from './event-import'
import { ImportRunningError } from './imports'
import { InvalidEditError, NotFoundError, type CallContext } from './service'

export class InvalidInputError extends Error {
  override name = 'InvalidInputError'
}

/**
 * Checks each call's input against the contract's schema before the service sees it.
 * HTTP query strings arrive as text, so that transport coerces ("5" -> 5); IPC does not.
 */
export function createApiDispatcher(service: OutpostApi, options: { coerce: boolean; context: CallContext }) {
  const ajv = addFormats(new Ajv({ allErrors: true, coerceTypes: options.coerce, allowUnionTypes: true }), [
    'date-time'
  ])
  const validators = new Map<ApiMethod, ValidateFunction>(
    apiMethods.map((m) => [m, ajv.compile(apiContract[m].input)])
  )

  /** `context` replaces the transport's own for one call (IPC: the window that asked). */
  return async function dispatch(
    method: ApiMethod,
    input: unknown,
    context: CallContext = options.context
  ): Promise<unknown> {
    const validate = validators.get(method) as ValidateFunction
    const value = input ?? {}
    if (!validate(value)) {
      const details = (validate.errors ?? [])
        .map((e) => `${e.instancePath || 'input'} ${e.message}`)
        .join('; ')
      throw new InvalidInputError(`Invalid input for ${method}: ${details}`)
    }
    const call = service[method] as (input: unknown, context: CallContext) => Promise<unknown>
    return call(value, context)
  }
}

export function toApiError(error: unknown): { status: number; error: ApiError } {
  if (error instanceof InvalidInputError)
    return { status: 400, error: { code: 'invalid_input', message: error.message } }
  if (error instanceof NotFoundError)
    return { status: 404, error: { code: 'not_found', message: error.message } }
  if (error instanceof InvalidEditError)
    return { status: 400, error: { code: 'invalid_input', message: error.message, problems: error.problems } }
  if (
    error instanceof CorrectionError ||
    error instanceof UnbuildableRequestError ||
    error instanceof ImportRunningError
  )
    return { status: 409, error: { code: 'conflict', message: error.message } }
  if (error instanceof ImportInputError)
    return { status: 400, error: { code: 'invalid_input', message: error.message } }
  console.error('[outpost] admin call failed', error)
  return { status: 500, error: { code: 'internal', message: (error as Error).message ?? 'internal error' } }
}
