import type { DestinationHold } from '@shared/model'
import { keyFingerprint, type Destination } from '../config'
import type { UpstreamRequest, Verdict } from '../connectors/types'
import type { AttemptRecord, ClaimedEvent, Settlement, Store } from '../store'
import { backoffDelay, probeDelay, type BackoffOptions } from './backoff'
import type { Transport, TransportResult } from './transport'

export interface WorkerDeps {
  store: Store
  transport: Transport
  backoff: BackoffOptions
  /** How often a destination held for a refused key asks the vendor again (sync.authRetry*). */
  authRetry: BackoffOptions
  timeoutMs: number
  now(): number
  onChange(): void
}

/** What an auth hold adds to the vendor's refusal: it ends by itself, or at once with another key. */
const AUTH_PROBE_WORDS =
  'Outpost tries again by itself at the next try, and at once with a new key (Set key, or the config and a restart)'

export interface WorkerState {
  hold: DestinationHold
  holdReason: string | null
  nextAttemptAt: number | null
}

/**
 * Delivers one destination's queue, oldest first, one request in flight at a time (which keeps
 * per-user order). Held while paused, unconfigured or refused for auth (a refused key is probed
 * again on the long sync.authRetry* backoff); after a failure the queue waits for its backoff, and
 * that next attempt is the probe that finds the upstream back.
 */
export class DestinationWorker {
  private running = false
  private again = false
  private stopped = false
  private timer: NodeJS.Timeout | null = null
  private inFlight: Promise<void> = Promise.resolve()
  private failures = 0
  /** Refusals of the key since the hold began: each one pushes the next probe further out. */
  private authRefusals = 0
  private batchLimit: number
  private offlineReason: string | null = null
  private waitingUntil: number | null = null
  /** Aborts the request in flight when the collector stops, so shutdown never waits on an upstream. */
  private readonly shutdown = new AbortController()
  private readonly deviceWaiters = new Map<string, ((realId: string | null) => void)[]>()

  constructor(
    readonly destination: Destination,
    private readonly deps: WorkerDeps
  ) {
    this.batchLimit = destination.batchSize
  }

  state(): WorkerState {
    const saved = this.deps.store.destinations.get(this.destination.id)
    if (saved.paused)
      return { hold: 'paused', holdReason: 'Paused by a person; events are kept', nextAttemptAt: null }
    if (!this.destination.apiKey) {
      const noKey = `No API key: set one with "Set key", or apiKey or ${this.destination.connector.apiKeyEnv} in the config; events are kept`
      return { hold: 'not_configured', holdReason: this.destination.keyProblem ?? noKey, nextAttemptAt: null }
    }
    if (saved.authHold) {
      const { reason, retryAt } = saved.authHold
      return { hold: 'auth', holdReason: `${reason}; ${AUTH_PROBE_WORDS}`, nextAttemptAt: retryAt }
    }
    if (this.offlineReason)
      return { hold: 'offline', holdReason: this.offlineReason, nextAttemptAt: this.waitingUntil }
    return { hold: null, holdReason: null, nextAttemptAt: this.waitingUntil }
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

  /** New events, a resume or "sync now": look at the queue again. */
  wake(): void {
    if (this.stopped) return
    if (this.running) {
      this.again = true
      return
    }
    this.clearTimer()
    this.inFlight = this.pump()
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

  /** The vendor refused the key in effect: hold, note which key (by fingerprint), and when to probe. */
  private holdForAuth(reason: string, now: number): void {
    const retryAt = now + probeDelay(this.authRefusals++, this.deps.authRetry)
    this.deps.store.destinations.holdForAuth(this.destination.id, {
      reason,
      keyFingerprint: keyFingerprint(this.destination.apiKey as string),
      retryAt
    })
  }

  /** Held for a refused key, the queue moves only for the probe: until it is due, sleep until then. */
  private awaitingAuthProbe(retryAt: number | null): boolean {
    if (retryAt === null || retryAt <= this.deps.now()) return false
    this.scheduleAt(retryAt)
    return true
  }

  /** Skip the backoff: every waiting event is due now. */
  syncNow(): void {
    this.deps.store.outbox.makeDueNow(this.destination.id, this.deps.now())
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
    await this.inFlight
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
  }

  private async pump(): Promise<void> {
    this.running = true
    try {
      do {
        this.again = false
        while (!this.stopped && this.state().hold !== 'paused' && (await this.deliverNext()));
      } while (this.again && !this.stopped)
    } catch (error) {
      console.error(`[outpost] delivery loop of ${this.destination.id} failed`, error)
      this.scheduleAt(this.deps.now() + this.deps.backoff.maxMs)
    } finally {
      this.running = false
    }
  }

  /** Sends the next due batch. False when there is nothing to do now. */
  private async deliverNext(): Promise<boolean> {
    const { hold, nextAttemptAt } = this.state()
    if (hold === 'not_configured' || hold === 'paused') return false
    if (hold === 'auth' && this.awaitingAuthProbe(nextAttemptAt)) return false
    const { connector } = this.destination
    const now = this.deps.now()
    const claim = this.deps.store.outbox.claimDueBatch(
      this.destination.id,
      now,
      this.batchLimit,
      this.deps.timeoutMs * 3,
      (kind) => connector.batchLimit(kind) > 1
    )
    if (claim.kind === 'empty') {
      this.waitingUntil = null
      return false
    }
    if (claim.kind === 'waiting') {
      this.scheduleAt(claim.dueAt)
      return false
    }
    this.waitingUntil = null
    this.deps.onChange()
    await this.sendOrRelease(claim.events)
    return true
  }

  /**
   * A claimed batch is always settled or given back: whatever throws between the claim and the
   * settlement (the transport, the store recording the attempt) returns the events to the queue
   * after a backoff. Should even that write fail, their lease expires and they are due again.
   */
  private async sendOrRelease(events: ClaimedEvent[]): Promise<void> {
    try {
      await this.send(events)
    } catch (error) {
      const dueAt = this.deps.now() + backoffDelay(this.failures++, this.deps.backoff)
      const reason = `not sent: ${(error as Error).message ?? String(error)}; retried later`
      try {
        this.deps.store.outbox.releaseClaim(
          events.map((event) => event.id),
          dueAt,
          reason
        )
      } catch (releaseError) {
        console.error(
          `[outpost] ${this.destination.id}: events stay leased until their lease expires`,
          releaseError
        )
      }
      throw error
    }
  }

  /** The request for a batch; null when the connector cannot build it (the batch has then failed). */
  private buildRequest(events: ClaimedEvent[], apiKey: string): UpstreamRequest | null {
    try {
      return this.destination.connector.buildRequest(events, { apiKey })
    } catch (error) {
      this.failUnsent(
        events,
        `Outpost could not build the ${this.destination.connector.label} request: ${(error as Error).message}`
      )
      return null
    }
  }

  private scheduleAt(at: number): void {
    this.waitingUntil = at
    this.clearTimer()
    if (this.stopped) return
    this.timer = setTimeout(() => this.wake(), Math.max(0, at - this.deps.now()))
    this.timer.unref?.()
  }

  /** A provisional device id with no real id by now means its registration failed: never send it. */
  private orphanedDeviceId(events: ClaimedEvent[]): string | null {
    const { devices } = this.destination.connector
    if (!devices) return null
    for (const event of events) {
      const deviceId = (JSON.parse(event.payload) as Record<string, unknown>)[devices.eventField]
      if (typeof deviceId === 'string' && devices.isProvisional(deviceId)) return deviceId
    }
    return null
  }

  private failUnsent(events: ClaimedEvent[], reason: string): void {
    const now = this.deps.now()
    const attempt: AttemptRecord = {
      destination: this.destination.id,
      startedAt: now,
      durationMs: 0,
      status: null,
      outcome: 'permanent',
      reason,
      request: 'not sent',
      responseBody: null
    }
    this.deps.store.outbox.settleAttempt(
      attempt,
      [{ ids: events.map((e) => e.id), settlement: { status: 'failed', error: reason } }],
      now
    )
    this.deps.onChange()
  }

  /** A registration the vendor accepted: remember its real id and rewrite the device's waiting events. */
  private registerDevice(events: ClaimedEvent[], result: TransportResult, verdict: Verdict): Verdict {
    const { devices } = this.destination.connector
    const [registration] = events
    if (!devices || verdict.outcome !== 'ok' || registration?.kind !== 'device' || result.kind !== 'answer')
      return verdict
    const realId = devices.realIdFrom(result.answer)
    if (!realId)
      return {
        outcome: 'permanent',
        reason: `${this.destination.connector.label} accepted the registration but answered no device id`
      }
    const provisionalId = devices.provisionalIdFor(registration.messageId)
    this.deps.store.devices.resolveDevice(
      this.destination.id,
      provisionalId,
      realId,
      devices.eventField,
      this.deps.now()
    )
    this.notifyDeviceWaiters(provisionalId, realId)
    return { outcome: 'ok', reason: `${verdict.reason}; device ${provisionalId} is ${realId}` }
  }

  /** Answers the clients waiting on a registration: its real id, or null once an attempt failed. */
  private notifyDeviceWaiters(provisionalId: string, realId: string | null): void {
    this.deviceWaiters.get(provisionalId)?.forEach((notify) => notify(realId))
    this.deviceWaiters.delete(provisionalId)
  }

  private async send(events: ClaimedEvent[]): Promise<void> {
    const orphan = this.orphanedDeviceId(events)
    if (orphan) {
      return this.failUnsent(
        events,
        `device ${orphan} has no ${this.destination.connector.label} id: its registration did not succeed; resend after registering again`
      )
    }
    const { connector, baseUrl, apiKey } = this.destination
    const request = this.buildRequest(events, apiKey as string)
    if (!request) return
    const startedAt = this.deps.now()
    const result = await this.deps.transport.post(
      baseUrl + request.path,
      request.headers,
      request.body,
      this.shutdown.signal
    )
    const finishedAt = this.deps.now()
    const verdict: Verdict = this.registerDevice(
      events,
      result,
      result.kind === 'answer'
        ? connector.classifyResponse(result.answer, events.length, finishedAt)
        : { outcome: 'retry', reason: result.reason }
    )
    const attempt: AttemptRecord = {
      destination: this.destination.id,
      startedAt,
      durationMs: finishedAt - startedAt,
      status: result.kind === 'answer' ? result.answer.status : null,
      outcome: verdict.outcome,
      reason: verdict.reason,
      request: `POST ${request.path} (${events.length} event${events.length === 1 ? '' : 's'}, ${request.body.length} bytes)`,
      responseBody: result.kind === 'answer' ? result.answer.body : null
    }
    // A person may have set a new key while this request was out: its refusal is not about it.
    const keyReplaced = this.destination.apiKey !== apiKey
    const settlement = this.settle(verdict, events.length, result, finishedAt, keyReplaced)
    this.deps.store.outbox.settleAttempt(
      attempt,
      [{ ids: events.map((event) => event.id), settlement }],
      finishedAt
    )
    const [first] = events
    if (first?.kind === 'device' && verdict.outcome !== 'ok' && connector.devices) {
      this.notifyDeviceWaiters(connector.devices.provisionalIdFor(first.messageId), null)
    }
    this.deps.onChange()
  }

  /** Where the verdict sends the batch, and what it teaches this worker. */
  private settle(
    verdict: Verdict,
    batchSize: number,
    result: TransportResult,
    now: number,
    keyReplaced: boolean
  ): Settlement {
    const maxBatch = this.destination.batchSize
    switch (verdict.outcome) {
      case 'ok':
        this.failures = 0
        this.offlineReason = null
        this.endAuthHold()
        this.batchLimit = Math.min(maxBatch, this.batchLimit * 2)
        return { status: 'sent' }
      case 'auth':
        if (keyReplaced) {
          const vendor = this.destination.connector.label
          return {
            status: 'queued',
            error: `${vendor} refused the key this request carried, since replaced; trying the new one`
          }
        }
        // An answer, so not offline; the batch waits at the head of the queue for the next probe.
        this.offlineReason = null
        this.holdForAuth(verdict.reason, now)
        return { status: 'queued', error: verdict.reason }
      case 'permanent':
        this.failures = 0
        this.offlineReason = null
        if (verdict.split && batchSize > 1) {
          this.batchLimit = Math.ceil(batchSize / 2)
          return { status: 'queued', error: verdict.reason }
        }
        return { status: 'failed', error: verdict.reason }
      case 'retry': {
        this.failures++
        this.offlineReason = result.kind === 'no_answer' ? verdict.reason : null
        const delay = verdict.retryAfterMs ?? backoffDelay(this.failures - 1, this.deps.backoff)
        return { status: 'retrying', nextAttemptAt: now + delay, error: verdict.reason }
      }
    }
  }
}
