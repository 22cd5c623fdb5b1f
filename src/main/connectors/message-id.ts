import { randomUUID } from 'node:crypto'
import type { AcceptedEvent, IngestRequest } from './types'

/**
 * The message id of an event that carries no key of its own (every vendor's calls but Whisperr's
 * tracks). Outpost deduplicates only on a key the client gave: with an `Idempotency-Key` header,
 * the i-th event of the request gets an id made from it, so a retry of the request is stored
 * once; without one, every call is a new event, however much it looks like an earlier one (a
 * second purchase in the same second, a profile set back to an earlier plan).
 */
export function requestMessageId(
  prefix: string,
  request: IngestRequest,
  index = 0
): Pick<AcceptedEvent, 'messageId' | 'keyedByRequest'> {
  const key = request.idempotencyKey
  if (key === undefined) return { messageId: `${prefix}_${randomUUID().replaceAll('-', '')}` }
  return { messageId: `${prefix}_key_${key}#${index}`, keyedByRequest: true }
}
