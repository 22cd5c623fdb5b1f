import type Database from 'better-sqlite3'

export interface DestinationState {
  paused: boolean
  /** Set when the upstream refused our key (401/403): delivery waits for a person. */
  authHold: string | null
  lastSuccessAt: number | null
}

/**
 * What survives a restart about each destination: paused by a person, held for auth, and the
 * time of its last delivery (written with each delivered batch by the outbox).
 */
export function createDestinationStates(db: Database.Database) {
  const select = db.prepare(`SELECT paused, auth_hold, last_success_at FROM destination_state WHERE id = ?`)
  const upsertPaused = db.prepare(`
    INSERT INTO destination_state (id, paused) VALUES (?, ?)
    ON CONFLICT (id) DO UPDATE SET paused = excluded.paused`)
  const upsertAuthHold = db.prepare(`
    INSERT INTO destination_state (id, auth_hold) VALUES (?, ?)
    ON CONFLICT (id) DO UPDATE SET auth_hold = excluded.auth_hold`)

  function get(id: string): DestinationState {
    const row = select.get(id) as
      { paused: number; auth_hold: string | null; last_success_at: number | null } | undefined
    return {
      paused: row?.paused === 1,
      authHold: row?.auth_hold ?? null,
      lastSuccessAt: row?.last_success_at ?? null
    }
  }

  return {
    get,
    setPaused: (id: string, paused: boolean) => void upsertPaused.run(id, paused ? 1 : 0),
    setAuthHold: (id: string, reason: string | null) => void upsertAuthHold.run(id, reason)
  }
}

export type DestinationStates = ReturnType<typeof createDestinationStates>
