import type Database from 'better-sqlite3'

/** A destination whose key the vendor refused (401/403): its events wait, and it probes by itself. */
export interface AuthHold {
  /** The vendor's refusal, as the UI shows it. */
  reason: string
  /** Which key was refused (a fingerprint, never the key): another key in effect lifts the hold. */
  keyFingerprint: string | null
  /** When the vendor is asked again; null = at once (a hold kept from before probes existed). */
  retryAt: number | null
}

export interface DestinationState {
  paused: boolean
  authHold: AuthHold | null
  lastSuccessAt: number | null
}

interface DestinationStateRow {
  paused: number
  auth_hold: string | null
  auth_key_fingerprint: string | null
  auth_retry_at: number | null
  last_success_at: number | null
}

/**
 * What survives a restart about each destination: paused by a person, held for a refused key
 * (with which key and when to probe), and the time of its last delivery (written with each
 * delivered batch by the outbox).
 */
export function createDestinationStates(db: Database.Database) {
  const select = db.prepare(`
    SELECT paused, auth_hold, auth_key_fingerprint, auth_retry_at, last_success_at
    FROM destination_state WHERE id = ?`)
  const upsertPaused = db.prepare(`
    INSERT INTO destination_state (id, paused) VALUES (?, ?)
    ON CONFLICT (id) DO UPDATE SET paused = excluded.paused`)
  const upsertAuthHold = db.prepare(`
    INSERT INTO destination_state (id, auth_hold, auth_key_fingerprint, auth_retry_at) VALUES (?, ?, ?, ?)
    ON CONFLICT (id) DO UPDATE SET
      auth_hold = excluded.auth_hold,
      auth_key_fingerprint = excluded.auth_key_fingerprint,
      auth_retry_at = excluded.auth_retry_at`)
  const deleteAuthHold = db.prepare(`
    UPDATE destination_state SET auth_hold = NULL, auth_key_fingerprint = NULL, auth_retry_at = NULL
    WHERE id = ? AND auth_hold IS NOT NULL`)

  function get(id: string): DestinationState {
    const row = select.get(id) as DestinationStateRow | undefined
    return {
      paused: row?.paused === 1,
      authHold: row?.auth_hold
        ? { reason: row.auth_hold, keyFingerprint: row.auth_key_fingerprint, retryAt: row.auth_retry_at }
        : null,
      lastSuccessAt: row?.last_success_at ?? null
    }
  }

  return {
    get,
    setPaused: (id: string, paused: boolean) => void upsertPaused.run(id, paused ? 1 : 0),
    /** Holds the destination for a refused key, or (again refused) moves its next probe. */
    holdForAuth: (id: string, hold: AuthHold) =>
      void upsertAuthHold.run(id, hold.reason, hold.keyFingerprint, hold.retryAt),
    liftAuthHold: (id: string) => void deleteAuthHold.run(id)
  }
}

export type DestinationStates = ReturnType<typeof createDestinationStates>
