import { readFileSync } from 'node:fs'
import { jetstream, type JetStreamClient, type PubAck } from '@nats-io/jetstream'
import {
  connect,
  credsAuthenticator,
  headers,
  nkeyAuthenticator,
  type MsgHdrs,
  type NatsConnection,
  type NodeConnectionOptions
} from '@nats-io/transport-node'
import type { Verdict } from '../connectors/types'
import type { Destination, NatsSettings } from '../config'
import type { ClaimedEvent } from '../store'
import type { Sender, SendResult } from '../sync/sender'
import { fedOriginOf, originalMessageId } from './fan-out'
import { classifyPublishError, type PublishFailure } from './publish-errors'
import { parseSubjectTemplate, type SubjectTemplate } from './subject'

/**
 * Publishes a NATS destination's batches to JetStream with the official client (@nats-io/jetstream
 * over @nats-io/transport-node): one connection per destination, which reconnects by itself.
 *
 * Each event is one message: its stored payload byte for byte, headers naming where it came from,
 * and `Nats-Msg-Id` = `{deviceId}:{route}:{message id}` (stable across retries and restarts), so
 * the stream's duplicate window stores a message published twice (a retry after a lost ack, a
 * crash after the publish) once. The batch is 'ok' only when every message's ack came back; an ack
 * marked `duplicate` is one. See publish-errors.ts for what a failure means.
 */

/** The message of one event: where it goes and what it carries. */
export interface NatsMessage {
  subject: string
  msgId: string
  headers: Record<string, string>
  payload: Uint8Array
}

/** The message an event becomes (throws when a header cannot carry a value: it never could). */
export function messageOf(
  event: ClaimedEvent,
  settings: NatsSettings,
  template: SubjectTemplate
): NatsMessage {
  const origin = fedOriginOf(event.upstreamParams)
  const { route, messageId } = originalMessageId(event.messageId)
  const values = {
    deviceId: settings.deviceId,
    destination: origin?.route ?? route,
    vendor: origin?.vendor ?? '',
    kind: event.kind,
    name: event.name
  }
  const headerValues: Record<string, string> = {
    'Outpost-Destination': values.destination,
    'Outpost-Vendor': values.vendor,
    'Outpost-Kind': event.kind,
    'Outpost-Device': settings.deviceId,
    'Outpost-Message-Id': messageId
  }
  if (origin?.params) headerValues['Outpost-Params'] = JSON.stringify(origin.params)
  return {
    subject: template.subjectFor(values),
    msgId: `${settings.deviceId}:${event.messageId}`,
    headers: headerValues,
    payload: Buffer.from(event.payload, 'utf8')
  }
}

function natsHeaders(values: Record<string, string>): MsgHdrs {
  const built = headers()
  for (const [name, value] of Object.entries(values)) built.set(name, value)
  return built
}

/** The client's options for the destination's settings and the secret in effect (password, token or seed). */
export function connectionOptions(settings: NatsSettings, secret: string | null): NodeConnectionOptions {
  const options: NodeConnectionOptions = {
    servers: settings.servers,
    name: `outpost ${settings.deviceId}`,
    // Reconnects by itself for as long as Outpost runs: a kiosk has nobody to reconnect it.
    reconnect: true,
    maxReconnectAttempts: -1,
    timeout: settings.publishTimeoutMs
  }
  if (settings.tls) options.tls = { ...settings.tls }
  switch (settings.auth) {
    case 'user':
      return { ...options, user: settings.user ?? '', pass: secret ?? '' }
    case 'token':
      return { ...options, token: secret ?? '' }
    case 'nkey':
      return { ...options, authenticator: nkeyAuthenticator(new TextEncoder().encode(secret ?? '')) }
    case 'creds':
      return { ...options, authenticator: credsAuthenticator(readCreds(settings.credsFile as string)) }
    case 'none':
      return options
  }
}

/** The `.creds` file; one that cannot be read is retried (an MDM tool may not have put it there yet). */
function readCreds(file: string): Uint8Array {
  try {
    return readFileSync(file)
  } catch (error) {
    throw new Error(`cannot read nats.credsFile ${file}: ${(error as Error).message}`)
  }
}

type Published = { ok: true; ack: PubAck } | { ok: false; failure: PublishFailure }

/**
 * The batch's verdict from the outcomes of its messages not refused one by one: a refused
 * credential holds, any missing ack retries, else it is ok (or, with none left, permanent).
 */
export function batchVerdict(
  outcomes: Published[],
  subjectCount: number
): { verdict: Verdict; answered: boolean } {
  const failures = outcomes.flatMap((outcome) => (outcome.ok ? [] : [outcome.failure]))
  const auth = failures.find((failure) => failure.outcome === 'auth')
  if (auth) return { verdict: { outcome: 'auth', reason: auth.reason }, answered: true }
  const retries = failures.flatMap((failure) => (failure.outcome === 'retry' ? [failure] : []))
  const [firstRetry] = retries
  if (firstRetry) {
    const unacked = `${retries.length} of ${outcomes.length} messages not acknowledged`
    return {
      verdict: { outcome: 'retry', reason: `${unacked}: ${firstRetry.reason}` },
      answered: retries.every((failure) => failure.answered)
    }
  }
  const acks = outcomes.flatMap((outcome) => (outcome.ok ? [outcome.ack] : []))
  if (acks.length === 0) {
    return {
      verdict: { outcome: 'permanent', reason: 'every message of the batch was refused for good' },
      answered: true
    }
  }
  const duplicates = acks.filter((ack) => ack.duplicate).length
  const streams = [...new Set(acks.map((ack) => ack.stream))].join(', ')
  const absorbed = duplicates ? `, ${duplicates} already there (duplicate window)` : ''
  return {
    verdict: {
      outcome: 'ok',
      reason: `stream ${streams} acknowledged ${acks.length} message${acks.length === 1 ? '' : 's'} on ${subjectCount} subject${subjectCount === 1 ? '' : 's'}${absorbed}`
    },
    answered: true
  }
}

export function createNatsSender(destination: Destination): Sender {
  const settings = destination.nats as NatsSettings
  const template = parseSubjectTemplate(settings.subject)
  let current: { secret: string | null; connection: Promise<NatsConnection> } | null = null
  let watched: AbortSignal | null = null

  async function closeConnection(): Promise<void> {
    const closing = current
    current = null
    if (!closing) return
    const connection = await closing.connection.catch(() => null)
    await connection?.close()
  }

  /** The open connection for this secret; a new one when there is none, it closed, or the secret changed. */
  async function connection(secret: string | null): Promise<NatsConnection> {
    if (current && current.secret !== secret) await closeConnection()
    if (current) {
      const open = await current.connection
      if (!open.isClosed()) return open
      current = null
    }
    const connecting = connect(connectionOptions(settings, secret))
    current = { secret, connection: connecting }
    try {
      return await connecting
    } catch (error) {
      if (current?.connection === connecting) current = null
      throw error
    }
  }

  async function publish(js: JetStreamClient, message: NatsMessage): Promise<Published> {
    try {
      const ack = await js.publish(message.subject, message.payload, {
        msgID: message.msgId,
        timeout: settings.publishTimeoutMs,
        headers: natsHeaders(message.headers),
        ...(settings.stream ? { expect: { streamName: settings.stream } } : {})
      })
      return { ok: true, ack }
    } catch (error) {
      return { ok: false, failure: classifyPublishError(error, message.subject) }
    }
  }

  async function send(
    events: ClaimedEvent[],
    secret: string | null,
    cancel: AbortSignal
  ): Promise<SendResult> {
    const refused = new Map<number, string>()
    const messages = new Map<number, NatsMessage>()
    for (const event of events) {
      try {
        messages.set(event.id, messageOf(event, settings, template))
      } catch (error) {
        refused.set(event.id, `cannot be made a NATS message: ${(error as Error).message}`)
      }
    }
    const subjects = new Set([...messages.values()].map((message) => message.subject))
    const bytes = [...messages.values()].reduce((sum, message) => sum + message.payload.length, 0)
    const [firstSubject = ''] = subjects
    const more = subjects.size > 1 ? ` and ${subjects.size - 1} more subjects` : ''
    const request = `PUB ${firstSubject}${more} (${messages.size} message${messages.size === 1 ? '' : 's'}, ${bytes} bytes)`
    let outcomes: Array<[number, Published]>
    try {
      if (watched !== cancel) {
        // Shutdown closes the connection: publishes still waiting for their ack end at once, unknown.
        cancel.addEventListener('abort', () => void closeConnection(), { once: true })
        watched = cancel
      }
      if (cancel.aborted) throw new Error('cancelled by shutdown')
      const js = jetstream(await connection(secret), { timeout: settings.publishTimeoutMs })
      outcomes = await Promise.all(
        [...messages].map(async ([id, message]): Promise<[number, Published]> => [
          id,
          await publish(js, message)
        ])
      )
    } catch (error) {
      const failure = classifyPublishError(error, firstSubject)
      outcomes = [...messages.keys()].map((id) => [id, { ok: false, failure }])
    }
    for (const [id, outcome] of outcomes) {
      if (!outcome.ok && outcome.failure.outcome === 'permanent') refused.set(id, outcome.failure.reason)
    }
    const counted = outcomes.filter(([id]) => !refused.has(id)).map(([, outcome]) => outcome)
    const { verdict, answered } = batchVerdict(counted, subjects.size)
    return { request, status: null, responseBody: null, verdict, answered, answer: null, refused, sent: null }
  }

  return { send, close: closeConnection }
}
