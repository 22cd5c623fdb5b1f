import { describe, expect, it } from 'vitest'
import { JetStreamApiError, type PubAck } from '@nats-io/jetstream'
import {
  AuthorizationError,
  ClosedConnectionError,
  ConnectionError,
  InvalidArgumentError,
  NoRespondersError,
  PermissionViolationError,
  RequestError,
  TimeoutError,
  UserAuthenticationExpiredError
} from '@nats-io/transport-node'
import { classifyPublishError } from '../../src/main/nats/publish-errors'
import { batchVerdict } from '../../src/main/nats/sender'

const SUBJECT = 'outpost.kiosk.whisperr.feature_used'
const classify = (error: unknown) => classifyPublishError(error, SUBJECT)
const apiError = (err_code: number, description: string) =>
  new JetStreamApiError({ code: 400, err_code, description })

describe('NATS publish errors, by the official client classes', () => {
  it('holds for refused credentials, like a 401', () => {
    expect(classify(new AuthorizationError('Authorization Violation')).outcome).toBe('auth')
    expect(classify(new UserAuthenticationExpiredError('User Authentication Expired')).outcome).toBe('auth')
    expect(
      classify(new PermissionViolationError('Permissions Violation for Publish', 'publish', SUBJECT)).outcome
    ).toBe('auth')
    // The client reports a failed connect with the server's reason as its cause.
    expect(
      classify(new ConnectionError('failed', { cause: new AuthorizationError('Authorization Violation') }))
        .outcome
    ).toBe('auth')
  })

  it('retries a publish without an answer (same Nats-Msg-Id): timeout, lost or refused connection', () => {
    for (const error of [
      new TimeoutError(),
      new ClosedConnectionError(),
      new ConnectionError('connection lost'),
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4222'), { code: 'ECONNREFUSED' }),
      new RequestError('timeout', { cause: new TimeoutError() })
    ]) {
      expect(classify(error)).toMatchObject({ outcome: 'retry', answered: false })
    }
  })

  it('retries with backoff, showing why, when no stream takes the subject (503 no responders)', () => {
    const noStream = classify(new RequestError('no responders', { cause: new NoRespondersError(SUBJECT) }))
    expect(noStream).toMatchObject({ outcome: 'retry', answered: false })
    expect(noStream.reason).toContain(`no JetStream stream takes subject ${SUBJECT}`)
    const notEnabled = classify(
      Object.assign(new Error('jetstream is not enabled'), { name: 'JetStreamNotEnabled' })
    )
    expect(notEnabled.reason).toContain('no JetStream stream')
    expect(classify(apiError(10060, 'expected stream does not match'))).toMatchObject({ outcome: 'retry' })
  })

  it('fails one message for good when it is larger than the server or the stream takes', () => {
    expect(classify(InvalidArgumentError.format('payload', 'max_payload size exceeded')).outcome).toBe(
      'permanent'
    )
    expect(classify(apiError(10054, 'message size exceeds maximum allowed')).outcome).toBe('permanent')
  })

  it('is ok only when every message was acknowledged; a duplicate ack counts as one', () => {
    const ack = (duplicate: boolean): PubAck => ({ stream: 'OUTPOST', seq: 1, duplicate })
    const ok = batchVerdict(
      [
        { ok: true, ack: ack(false) },
        { ok: true, ack: ack(true) }
      ],
      1
    )
    expect(ok.verdict.outcome).toBe('ok')
    expect(ok.verdict.reason).toContain('1 already there')
    const partial = batchVerdict(
      [
        { ok: true, ack: ack(false) },
        { ok: false, failure: classify(new TimeoutError()) }
      ],
      1
    )
    expect(partial.verdict.outcome).toBe('retry')
    expect(partial.verdict.reason).toContain('1 of 2 messages not acknowledged')
    const refused = batchVerdict(
      [
        { ok: false, failure: classify(new TimeoutError()) },
        { ok: false, failure: classify(new AuthorizationError('Authorization Violation')) }
      ],
      1
    )
    expect(refused.verdict.outcome).toBe('auth')
    // Every message refused one by one (too large): nothing is left to retry or call ok.
    expect(batchVerdict([], 0).verdict.outcome).toBe('permanent')
  })
})
