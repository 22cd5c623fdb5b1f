import { NOT_SENT, type DestinationHold } from '@shared/model'
import { keyFingerprint, type Destination } from '../config'
import type { Verdict } from '../connectors/types'
import type { AttemptRecord, ClaimedEvent, Settlement, Store } from '../store'
import type { AuthHold } from '../store/destinations'
import { backoffDelay, probeDelay, type BackoffOptions } from './backoff'
import {
  createMasker,
  credentialHeaders,
  CREDENTIAL_HEADERS,
  rebuildableBody,
  recordExchange
} from './attempt-exchange'
import { createHttpSender, type Sender, type SendResult } from './sender'
import type { Transport } from './transport'

export interface WorkerDeps {
  store: Store
  transport: Transport
  /** How this destination's batches go out; default an HTTP request to its vendor through `transport`. */
  sender?: Sender
  backoff: BackoffOptions
  /** How often a destination held for a refused key asks the vendor again (sync.authRetry*). */
  authRetry: BackoffOptions
  timeoutMs: number
  /** Most requests in flight at once (sync.concurrency); 1 sends the queue strictly in order. */
  concurrency: number
  now(): number
  onChange(): void
  /** Observes each answer once written: where its events went (the activity charts count them). */
  onSettled?(destination: string, status: Settlement['status'], events: number): void
  /** Observes each request that went upstream, when it ended: its outcome and how long it took (the metrics). */
  onAttempted?(destination: string, outcome: AttemptOutcome, seconds: number): void
}

/** What one upstream request came to: the verdict on an answer, or no answer at all. */
export type AttemptOutcome = Verdict['outcome'] | 'no_answer'

/** What an auth hold adds to the vendor's refusal: it ends by itself, or at once with another key. */
const AUTH_PROBE_WORDS =
  'Outpost tries again by itself at the next try, and at once with a new key (Set key, or the config and a restart)'

export interface WorkerState {
  hold: DestinationHold
  holdReason: string | null
  nextAttemptAt: number | null
}

/** A batch out to the vendor. `seq` numbers the claims, so an answer can tell whether it came before a setback. */
interface InFlightRequest {
  events: ClaimedEvent[]
  seq: number
  done: Promise<void>
}

/** What one request came to: written in one transaction with the claims that fill its place. */
interface Outcome {
  attempt: AttemptRecord
  /** Where the batch's events go: all with the verdict, but those the sender refused one by one. */
  groups: { ids: number[]; settlement: Settlement }[]
  /** The destination's key state this answer changes: held anew, or the hold ended. */
  authChange: AuthHold | 'lift' | null
  /** A registration the vendor accepted, to record with its real id. */
  resolvedDevice: { provisionalId: string; realId: string } | null
  /** A registration that did not succeed: the clients waiting on it hear so. */
  failedRegistration: string | null
}

interface Answer {
  request: InFlightRequest
  outcome: Outcome
}

/**
 * Delivers one destination's queue with up to `concurrency` requests in flight. The store's claim
 * keeps each user's events in accepted order (one request per user at a time) while other users'
 * events go, so a slow user or a backing-off event holds back only its own user.
 *
 * What is destination-wide and what concerns one batch:
 * - A `retry` answer (429 or 503 with Retry-After, any 5xx, a timeout or no answer at all) is about
 *   the upstream, not the batch: the whole destination waits (Retry-After, else the backoff), the
 *   batch's events are due when the wait ends, and then a single request probes before the others
 *   follow. Sending other users' events meanwhile would only collect more failures and hammer a
 *   vendor that asked for a pause.
 * - 401/403 holds the destination for its key (persisted; probed with one request on
 *   sync.authRetry*).
 * - A permanent refusal fails that batch only; a batch the vendor wants split is re-queued and
 *   claimed again in halves, while other batches go on.
 * - Answers to requests sent before the latest setback (a wait, an auth hold) are settled by
 *   their own verdict but teach the worker nothing: eight requests that time out together in one
 *   outage are one failure for the backoff, and a success sent before a 401 does not end the hold.
 *
 * Held while paused or unconfigured. A claimed batch is always settled or given back.
 */
export class DestinationWorker {
  private stopped = false
  private timer: NodeJS.Timeout | null = null
  private readonly inFlight = new Set<InFlightRequest>()
  /** Answers waiting for the end of this turn of the event loop, to be written together. */
  private readonly answers: Answer[] = []
  private answersWritten: Promise<void> | null = null
  private claims = 0
  /** `claims` when the latest wait or hold began: answers to requests up to it are from before it. */
  private setbackSeq = 0
  private failures = 0
  /** Refusals of the key since the hold began: each one pushes the next probe further out. */
  private authRefusals = 0
  private batchLimit: number
  private offlineReason: string | null = null
  /** The destination-wide wait after a `retry` answer or an error: no claims before it. */
  private pausedUntil: number | null = null
  /** After a wait, one request at a time until a request sent after it is accepted or refused for good. */
  private probing = false
  private waitingUntil: number | null = null
  /** Aborts the requests in flight when the collector stops, so shutdown never waits on an upstream. */
  private readonly shutdown = new AbortController()
  private readonly deviceWaiters = new Map<string, ((realId: string | null) => void)[]>()
  /** Headers whose values an attempt's record masks (attempt-exchange.ts). */
  private readonly credentialNames: Set<string>
  private readonly sender: Sender

  constructor(
    readonly destination: Destination,
    private readonly deps: WorkerDeps
  ) {
    this.batchLimit = destination.batchSize
    const { connector } = destination
    this.credentialNames = connector ? credentialHeaders(connector) : new Set(CREDENTIAL_HEADERS)
    this.sender = deps.sender ?? createHttpSender(destination, deps.transport, deps.now)
  }

  state(): WorkerState {
    const saved = this.deps.store.destinations.get(this.destination.id)
    if (saved.paused)
      return { hold: 'paused', holdReason: 'Paused by a person; events are kept', nextAttemptAt: null }
    if (this.destination.keyRequired && !this.destination.apiKey) {
      const noKey = `No ${this.destination.keyName}: set one with "Set key", or apiKey or ${this.destination.keyEnvHint} in the config; events are kept`
      return { hold: 'not_configured', holdReason: this.destination.keyProblem ?? noKey, nextAttemptAt: null }
    }
    if (saved.authHold) {
      const { reason, retryAt } = saved.authHold
      return { hold: 'auth', holdReason: `${reason}; ${AUTH_PROBE_WORDS}`, nextAttemptAt: retryAt }
    }
    const nextAttemptAt = this.nextTry()
    if (this.offlineReason) return { hold: 'offline', holdReason: this.offlineReason, nextAttemptAt }
    return { hold: null, holdReason: null, nextAttemptAt }
  }

  /** When the destination sends again by itself: the end of its wait, or of the queue's backoff when nothing is out. */
  private nextTry(): number | null {
    if (this.pausedUntil !== null && this.pausedUntil > this.deps.now()) return this.pausedUntil
    return this.inFlight.size === 0 ? this.waitingUntil : null
  }

  /**
   * The vendor's id for a registration just stored, if the vendor gives it within `timeoutMs`.
   * Null at once when the destination is held or offline: the client then works with the
   * provisional id.
   */
  waitForDevice(provisionalId: string, timeoutMs: number): Promise<string | null> {
    if (this.state().hold !== null) return Promise.resolve(null)
    return new Promise((resolve) => {
      const waiters = this.deviceWaiters.get(provisionalId) ?? []
      const onResolved = (realId: string | null) => {
        clearTimeout(timer)
        resolve(realId)
      }
      const timer = setTimeout(() => {
        const remaining = (this.deviceWaiters.get(provisionalId) ?? []).filter(
          (waiter) => waiter !== onResolved
        )
        if (remaining.length) this.deviceWaiters.set(provisionalId, remaining)
        else this.deviceWaiters.delete(provisionalId)
        resolve(null)
      }, timeoutMs)
      this.deviceWaiters.set(provisionalId, [...waiters, onResolved])
    })
  }

  /** New events, a resume or "sync now": claim what may go into the free places. */
  wake(): void {
    if (this.stopped) return
    this.clearTimer()
    let batches: ClaimedEvent[][]
    try {
      batches = this.deps.store.outbox.inTransaction(() => this.claimBatches())
    } catch (error) {
      this.waitAfterError(error)
      return
    }
    this.launch(batches)
  }

  pause(): void {
    this.deps.store.destinations.setPaused(this.destination.id, true)
    this.clearTimer()
    this.deps.onChange()
  }

  resume(): void {
    this.deps.store.destinations.setPaused(this.destination.id, false)
    this.clearAuthHold()
  }

  /**
   * At start: a hold on a key no longer in effect (the config, its environment variable or
   * keys.json now name another) ends at once; a hold on the same key keeps its probe time.
   */
  start(): void {
    const hold = this.deps.store.destinations.get(this.destination.id).authHold
    const { apiKey } = this.destination
    if (hold?.keyFingerprint && apiKey && keyFingerprint(apiKey) !== hold.keyFingerprint) this.endAuthHold()
    this.wake()
  }

  /** Try the vendor again now, without waiting for the probe (a new key, or a person resumed); a pause stays. */
  clearAuthHold(): void {
    this.endAuthHold()
    this.wake()
    this.deps.onChange()
  }

  private endAuthHold(): void {
    this.authRefusals = 0
    this.deps.store.destinations.liftAuthHold(this.destination.id)
  }

  /** Skip the backoff and the destination's wait: every waiting event is due now. */
  syncNow(): void {
    this.deps.store.outbox.makeDueNow(this.destination.id, this.deps.now())
    this.pausedUntil = null
    this.wake()
    this.deps.onChange()
  }

  /** The network came back: a destination that got no answer tries now; one told to wait (Retry-After) keeps waiting. */
  retryIfOffline(): void {
    if (this.state().hold === 'offline') this.syncNow()
  }

  async stop(): Promise<void> {
    this.stopped = true
    this.clearTimer()
    this.shutdown.abort()
    await Promise.all([...this.inFlight].map((request) => request.done))
    await this.sender.close()
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
  }

  private scheduleAt(at: number): void {
    this.waitingUntil = at
    this.clearTimer()
    if (this.stopped) return
    this.timer = setTimeout(() => this.wake(), Math.max(0, at - this.deps.now()))
    this.timer.unref?.()
  }

  /**
   * How many requests may be out now, or 0 while the destination must not send (paused, no key,
   * a wait or an auth hold whose probe is not due; the wake-up is then scheduled).
   */
  private room(): number {
    if (this.stopped) return 0
    const { hold, nextAttemptAt } = this.state()
    if (hold === 'paused' || hold === 'not_configured') return 0
    const now = this.deps.now()
    if (hold === 'auth') {
      // Held for a refused key, the queue moves only for the probe, one request.
      if (nextAttemptAt !== null && nextAttemptAt > now) {
        this.scheduleAt(nextAttemptAt)
        return 0
      }
      return 1
    }
    if (this.pausedUntil !== null && this.pausedUntil > now) {
      this.scheduleAt(this.pausedUntil)
      return 0
    }
    return this.probing ? 1 : this.deps.concurrency
  }

  /** Claims batches into the free places, in the caller's transaction; they are sent once it commits. */
  private claimBatches(): ClaimedEvent[][] {
    const places = this.room() - this.inFlight.size
    if (places <= 0) return []
    const { batchLimit } = this.destination
    const { batches, then } = this.deps.store.outbox.claimDueBatches(
      this.destination.id,
      this.deps.now(),
      places,
      this.batchLimit,
      this.deps.timeoutMs * 3,
      (kind) => batchLimit(kind) > 1,
      // One request at a time sends the queue in accepted order, as it always did.
      { order: this.deps.concurrency === 1 ? 'queue' : 'user' }
    )
    if (then?.kind === 'waiting') this.scheduleAt(then.dueAt)
    else if (batches.length > 0 || then?.kind === 'empty') this.waitingUntil = null
    return batches
  }

  private launch(batches: ClaimedEvent[][]): void {
    for (const events of batches) {
      const request: InFlightRequest = { events, seq: ++this.claims, done: Promise.resolve() }
      this.inFlight.add(request)
      request.done = this.deliver(request)
    }
    if (batches.length) this.deps.onChange()
  }

  /**
   * Sends one batch, then has its outcome written. A claimed batch is always settled or given
   * back: whatever throws between the claim and the settlement (the transport, the store recording
   * the attempt) returns the events to the queue after a backoff. Should even that write fail,
   * their lease expires and they are due again.
   */
  private async deliver(request: InFlightRequest): Promise<void> {
    let outcome: Outcome
    try {
      outcome = await this.attempt(request)
    } catch (error) {
      this.inFlight.delete(request)
      this.giveBack(request.events, error)
      this.deps.onChange()
      return
    }
    await this.writeSoon(request, outcome)
  }

  /**
   * Answers that arrive in the same turn of the event loop are written in one transaction, with
   * the claims that fill their places: one commit (one fsync) for all of them, as ingest's group
   * commit does for requests. Resolves once this answer is written.
   */
  private writeSoon(request: InFlightRequest, outcome: Outcome): Promise<void> {
    this.answers.push({ request, outcome })
    this.answersWritten ??= new Promise((resolve) =>
      setImmediate(() => {
        this.writeAnswers()
        resolve()
      })
    )
    return this.answersWritten
  }

  private writeAnswers(): void {
    const answers = this.answers.splice(0)
    this.answersWritten = null
    for (const { request } of answers) this.inFlight.delete(request)
    let next: ClaimedEvent[][]
    try {
      next = this.deps.store.outbox.inTransaction(() => {
        for (const { outcome } of answers) this.record(outcome)
        return this.claimBatchesAfter()
      })
      for (const { outcome } of answers) {
        this.tellDeviceWaiters(outcome)
        this.observeSettled(outcome)
      }
    } catch {
      // One answer that cannot be written must not give back the others: each alone, then the claims.
      for (const answer of answers) this.writeAlone(answer)
      next = this.claimBatchesAfter()
    }
    this.deps.onChange()
    this.launch(next)
  }

  private writeAlone({ request, outcome }: Answer): void {
    try {
      this.deps.store.outbox.inTransaction(() => this.record(outcome))
      this.tellDeviceWaiters(outcome)
      this.observeSettled(outcome)
    } catch (error) {
      this.giveBack(request.events, error)
    }
  }

  private observeSettled(outcome: Outcome): void {
    for (const { ids, settlement } of outcome.groups)
      if (ids.length) this.deps.onSettled?.(this.destination.id, settlement.status, ids.length)
  }

  /** The claims after answers; when they fail, the answers' records still commit. */
  private claimBatchesAfter(): ClaimedEvent[][] {
    try {
      return this.deps.store.outbox.inTransaction(() => this.claimBatches())
    } catch (error) {
      this.waitAfterError(error)
      return []
    }
  }

  private giveBack(events: ClaimedEvent[], error: unknown): void {
    const dueAt = this.waitAfterError(error)
    try {
      this.deps.store.outbox.releaseClaim(
        events.map((event) => event.id),
        dueAt,
        `not sent: ${(error as Error).message ?? String(error)}; retried later`
      )
    } catch (releaseError) {
      console.error(
        `[outpost] ${this.destination.id}: events stay leased until their lease expires`,
        releaseError
      )
    }
  }

  /** The transport or the store failed: the whole destination waits a backoff. Returns when it ends. */
  private waitAfterError(error: unknown): number {
    console.error(`[outpost] delivery of ${this.destination.id} failed`, error)
    const until = this.deps.now() + backoffDelay(this.failures++, this.deps.backoff)
    this.waitUntil(until)
    return until
  }

  /** A destination-wide wait: no claims before `until`, then one request to probe. */
  private waitUntil(until: number): void {
    this.pausedUntil = Math.max(this.pausedUntil ?? 0, until)
    this.setbackSeq = this.claims
    this.probing = true
    this.scheduleAt(this.pausedUntil)
  }

  /** Writes an outcome: the key hold it changes, the device it resolves, the attempt and its events. */
  private record(outcome: Outcome): void {
    const { store } = this.deps
    const id = this.destination.id
    if (outcome.authChange === 'lift') store.destinations.liftAuthHold(id)
    else if (outcome.authChange) store.destinations.holdForAuth(id, outcome.authChange)
    const answeredAt = outcome.attempt.startedAt + outcome.attempt.durationMs
    const devices = this.destination.connector?.devices
    if (outcome.resolvedDevice && devices) {
      const { provisionalId, realId } = outcome.resolvedDevice
      store.devices.resolveDevice(id, provisionalId, realId, devices.eventField, answeredAt)
    }
    store.outbox.settleAttempt(
      outcome.attempt,
      outcome.groups.filter((group) => group.ids.length > 0),
      answeredAt
    )
  }

  /** Answers the clients waiting on a registration once its outcome is written. */
  private tellDeviceWaiters(outcome: Outcome): void {
    if (outcome.resolvedDevice) {
      const { provisionalId, realId } = outcome.resolvedDevice
      this.notifyDeviceWaiters(provisionalId, realId)
    } else if (outcome.failedRegistration) {
      this.notifyDeviceWaiters(outcome.failedRegistration, null)
    }
  }

  private notifyDeviceWaiters(provisionalId: string, realId: string | null): void {
    this.deviceWaiters.get(provisionalId)?.forEach((notify) => notify(realId))
    this.deviceWaiters.delete(provisionalId)
  }

  /** Sends a batch (or finds it cannot be sent) and decides where its events go; writes nothing. */
  private async attempt(request: InFlightRequest): Promise<Outcome> {
    const { events } = request
    const orphan = this.orphanedDeviceId(events)
    if (orphan) {
      return this.notSent(
        events,
        `device ${orphan} has no ${this.destination.label} id: its registration did not succeed; resend after registering again`
      )
    }
    const { apiKey } = this.destination
    const startedAt = this.deps.now()
    const result = await this.sender.send(events, apiKey, this.shutdown.signal)
    if ('notSent' in result) return this.notSent(events, result.notSent)
    const finishedAt = this.deps.now()
    // The key this request carried (a person may have set another meanwhile): masked in all that is
    // stored of the attempt, the reason too, which may quote an answer that echoes it.
    const mask = createMasker(this.credentialNames, apiKey)
    const { verdict, resolvedDevice } = this.registration(events, {
      ...result,
      verdict: { ...result.verdict, reason: mask.text(result.verdict.reason) }
    })
    const observed = result.answered ? verdict.outcome : 'no_answer'
    this.deps.onAttempted?.(this.destination.id, observed, (finishedAt - startedAt) / 1000)
    // A person may have set a new key while this request was out: its refusal is not about it.
    const keyReplaced = this.destination.apiKey !== apiKey
    const { settlement, authChange } = this.learn(verdict, request, result, finishedAt, keyReplaced)
    const [first] = events
    const devices = this.destination.connector?.devices
    const failedRegistration =
      first?.kind === 'device' && verdict.outcome !== 'ok' && devices
        ? devices.provisionalIdFor(first.messageId)
        : null
    const refused = events.filter((event) => result.refused.has(event.id))
    return {
      attempt: {
        destination: this.destination.id,
        startedAt,
        durationMs: finishedAt - startedAt,
        status: result.status,
        outcome: verdict.outcome,
        reason: mask.text([verdict.reason, ...refusalWords(refused, result.refused)].join('; ')),
        request: result.request,
        responseBody: result.responseBody && mask.text(result.responseBody),
        exchange: result.sent
          ? recordExchange(
              result.sent,
              result.answer,
              mask,
              this.rebuildable(verdict, result.sent.body, apiKey)
            )
          : undefined
      },
      groups: [
        { ids: events.filter((event) => !result.refused.has(event.id)).map((event) => event.id), settlement },
        ...refused.map((event) => ({
          ids: [event.id],
          settlement: { status: 'failed' as const, error: result.refused.get(event.id) as string }
        }))
      ],
      authChange,
      resolvedDevice,
      failedRegistration
    }
  }

  /** A batch that is never sent: it fails with the reason, as it would every time. */
  /** A successful attempt's body, rebuilt on read from its events (they are `sent` and never change again). */
  private rebuildable(verdict: Verdict, body: string, apiKey: string | null) {
    const { connector } = this.destination
    if (verdict.outcome !== 'ok' || !connector) return null
    return rebuildableBody(body, connector.vendor, apiKey as string)
  }

  private notSent(events: ClaimedEvent[], reason: string): Outcome {
    return {
      attempt: {
        destination: this.destination.id,
        startedAt: this.deps.now(),
        durationMs: 0,
        status: null,
        outcome: 'permanent',
        reason,
        request: NOT_SENT,
        responseBody: null
      },
      groups: [{ ids: events.map((event) => event.id), settlement: { status: 'failed', error: reason } }],
      authChange: null,
      resolvedDevice: null,
      failedRegistration: null
    }
  }

  /** A provisional device id with no real id by now means its registration failed: never send it. */
  private orphanedDeviceId(events: ClaimedEvent[]): string | null {
    const devices = this.destination.connector?.devices
    if (!devices) return null
    for (const event of events) {
      const deviceId = (JSON.parse(event.payload) as Record<string, unknown>)[devices.eventField]
      if (typeof deviceId === 'string' && devices.isProvisional(deviceId)) return deviceId
    }
    return null
  }

  /** A registration the vendor accepted gives the device's real id; one without an id is refused. */
  private registration(
    events: ClaimedEvent[],
    result: SendResult
  ): { verdict: Verdict; resolvedDevice: Outcome['resolvedDevice'] } {
    const { verdict } = result
    const { label } = this.destination
    const devices = this.destination.connector?.devices
    const [registration] = events
    if (!devices || verdict.outcome !== 'ok' || registration?.kind !== 'device' || !result.answer)
      return { verdict, resolvedDevice: null }
    const realId = devices.realIdFrom(result.answer)
    if (!realId)
      return {
        verdict: {
          outcome: 'permanent',
          reason: `${label} accepted the registration but answered no device id`
        },
        resolvedDevice: null
      }
    const provisionalId = devices.provisionalIdFor(registration.messageId)
    return {
      verdict: { outcome: 'ok', reason: `${verdict.reason}; device ${provisionalId} is ${realId}` },
      resolvedDevice: { provisionalId, realId }
    }
  }

  /** Where the verdict sends the batch, and what it teaches this worker. */
  private learn(
    verdict: Verdict,
    request: InFlightRequest,
    result: SendResult,
    now: number,
    keyReplaced: boolean
  ): { settlement: Settlement; authChange: Outcome['authChange'] } {
    const afterSetback = request.seq > this.setbackSeq
    const batchSize = request.events.length
    switch (verdict.outcome) {
      case 'ok':
        this.batchLimit = Math.min(this.destination.batchSize, this.batchLimit * 2)
        if (!afterSetback) return { settlement: { status: 'sent' }, authChange: null }
        this.failures = 0
        this.offlineReason = null
        this.probing = false
        this.authRefusals = 0
        return { settlement: { status: 'sent' }, authChange: 'lift' }
      case 'auth': {
        const vendor = this.destination.label
        if (keyReplaced) {
          const error = `${vendor} refused the key this request carried, since replaced; trying the new one`
          return { settlement: { status: 'queued', error }, authChange: null }
        }
        // The batch waits in the queue for the next probe.
        const settlement: Settlement = { status: 'queued', error: verdict.reason }
        if (!afterSetback) return { settlement, authChange: null }
        // An answer, so not offline.
        this.offlineReason = null
        this.setbackSeq = this.claims
        return { settlement, authChange: this.authHold(verdict.reason, now) }
      }
      case 'permanent':
        // An answer like any other: the upstream is back, whatever it thought of this batch.
        if (afterSetback) {
          this.failures = 0
          this.offlineReason = null
          this.probing = false
        }
        if (verdict.split && batchSize > 1) {
          // Its halves are claimed in this answer's transaction; a larger batch answered later
          // must not raise the size back.
          this.batchLimit = Math.min(this.batchLimit, Math.ceil(batchSize / 2))
          return { settlement: { status: 'queued', error: verdict.reason }, authChange: null }
        }
        return { settlement: { status: 'failed', error: verdict.reason }, authChange: null }
      case 'retry': {
        if (afterSetback) {
          this.offlineReason = result.answered ? null : verdict.reason
          const backoff = backoffDelay(this.failures++, this.deps.backoff)
          this.waitUntil(now + (verdict.retryAfterMs ?? backoff))
        }
        const nextAttemptAt = Math.max(now, this.pausedUntil ?? now)
        return { settlement: { status: 'retrying', nextAttemptAt, error: verdict.reason }, authChange: null }
      }
    }
  }

  /** The vendor refused the key in effect: hold, note which key (by fingerprint), and when to probe. */
  private authHold(reason: string, now: number): AuthHold {
    return {
      reason,
      // A NATS destination with creds or no auth has no key: its hold ends by its probe alone.
      keyFingerprint: this.destination.apiKey === null ? null : keyFingerprint(this.destination.apiKey),
      retryAt: now + probeDelay(this.authRefusals++, this.deps.authRetry)
    }
  }
}

/** Words for events refused one by one, for the attempt's reason: the first few, and how many in all. */
function refusalWords(refused: ClaimedEvent[], reasons: Map<number, string>): string[] {
  if (refused.length === 0) return []
  const shown = refused.slice(0, 3).map((event) => `${event.messageId}: ${reasons.get(event.id) ?? ''}`)
  const more = refused.length > shown.length ? ` and ${refused.length - shown.length} more` : ''
  return [`refused for good: ${shown.join('; ')}${more}`]
}
