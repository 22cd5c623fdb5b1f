/**
 * What a failed JetStream publish (or the connection before it) means for delivery, by the
 * official client's error classes (read by `name`, which survives a second copy of the module).
 *
 * - `retry`, no answer: the outcome is unknown (a timeout, a lost or refused connection) and the
 *   event is published again with the same Nats-Msg-Id, which the stream's duplicate window absorbs.
 * - `retry`, no stream (`JetStreamNotEnabled`, a 503 "no responders": no stream takes the subject;
 *   or the stream is not the one `nats.stream` expects): a setup problem, but retried with the
 *   destination's backoff rather than held. It heals by itself when the operator creates the
 *   stream (kiosks are often deployed before the pipeline is) or when a JetStream cluster has
 *   elected its leader again, which also answers 503 for a moment; no person has to press Resume.
 *   The destination shows the reason meanwhile, and the backoff bounds the cost to one publish a
 *   minute at most.
 * - `auth`: the server refused the credentials (authorization violation, expired or bad creds,
 *   no permission to publish on the subject): the destination is held like a vendor's 401 and
 *   probes again by itself.
 * - `permanent`: this event can never be published as it is (larger than the server's
 *   max_payload or the stream's max_msg_size): it fails alone, the others go on.
 */

export type PublishFailure =
  | { outcome: 'retry'; answered: boolean; reason: string }
  | { outcome: 'auth'; reason: string }
  | { outcome: 'permanent'; reason: string }

/** JetStream API error codes the client does not name (nats-server's errors.json). */
const STREAM_NOT_MATCHED = 10060
const MESSAGE_TOO_LARGE = 10054

const AUTH_ERRORS = new Set([
  'AuthorizationError',
  'UserAuthenticationExpiredError',
  'PermissionViolationError'
])
const CONNECTION_ERRORS = new Set([
  'ConnectionError',
  'ClosedConnectionError',
  'DrainingConnectionError',
  'TimeoutError'
])

/** The client names its NoRespondersError `NoResponders`. */
const NO_RESPONDERS = new Set(['NoResponders'])

const UNKNOWN_OUTCOME = 'outcome unknown; published again with the same Nats-Msg-Id'

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** The error itself or the first of its causes with one of `names`. */
function findByName(error: unknown, names: Set<string>): Error | null {
  for (let current = error; current instanceof Error; current = current.cause) {
    if (names.has(current.name)) return current
  }
  return null
}

export function classifyPublishError(error: unknown, subject: string): PublishFailure {
  const auth = findByName(error, AUTH_ERRORS)
  if (auth) return { outcome: 'auth', reason: `the NATS server refused the credentials: ${auth.message}` }
  const { name, code, message } = error as { name?: string; code?: number; message?: string }
  if (name === 'JetStreamNotEnabled' || findByName(error, NO_RESPONDERS)) {
    return {
      outcome: 'retry',
      answered: false,
      reason: `no JetStream stream takes subject ${subject} (503 no responders): create a stream whose subjects match it (docs/fleet.md); Outpost tries again with backoff`
    }
  }
  if (name === 'JetStreamApiError' && code === STREAM_NOT_MATCHED) {
    return {
      outcome: 'retry',
      answered: false,
      reason: `the stream that takes subject ${subject} is not the one nats.stream names (${message}); Outpost tries again with backoff`
    }
  }
  if (name === 'JetStreamApiError' && code === MESSAGE_TOO_LARGE) {
    return { outcome: 'permanent', reason: `the stream refused the message: ${message} (its max_msg_size)` }
  }
  if (name === 'InvalidArgumentError' && /max_payload/.test(message ?? '')) {
    return {
      outcome: 'permanent',
      reason: "the message is larger than the NATS server's max_payload: it can never be published as it is"
    }
  }
  if (name !== undefined && CONNECTION_ERRORS.has(name)) {
    return {
      outcome: 'retry',
      answered: false,
      reason: `no acknowledgement: ${message} (${UNKNOWN_OUTCOME})`
    }
  }
  const errno = (error as { code?: unknown }).code
  if (typeof errno === 'string' && /^E[A-Z]+$/.test(errno)) {
    return {
      outcome: 'retry',
      answered: false,
      reason: `cannot reach the NATS server: ${message} (${errno})`
    }
  }
  if (name === 'JetStreamApiError') {
    return { outcome: 'retry', answered: true, reason: `the stream refused the message: ${message}` }
  }
  return {
    outcome: 'retry',
    answered: false,
    reason: `publish failed: ${describe(error)} (${UNKNOWN_OUTCOME})`
  }
}
