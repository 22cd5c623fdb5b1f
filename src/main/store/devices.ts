import type Database from 'better-sqlite3'

/** Provisional -> real device ids, and the rewrite of events still waiting with a provisional one. */
export function createDeviceIds(db: Database.Database) {
  const select = db.prepare(`SELECT real_id FROM device_ids WHERE destination = ? AND provisional_id = ?`)
  const insert = db.prepare(`
    INSERT INTO device_ids (destination, provisional_id, real_id, resolved_at) VALUES (?, ?, ?, ?)
    ON CONFLICT (destination, provisional_id) DO UPDATE SET real_id = excluded.real_id, resolved_at = excluded.resolved_at`)
  // json_set keeps every other value's text as it was (numbers digit for digit); the received
  // payload keeps the provisional id the app sent, for testers to see and search.
  const rewrite = db.prepare(`
    UPDATE outbox SET received_payload = coalesce(received_payload, payload),
      payload = json_set(payload, @path, @realId)
    WHERE destination = @destination AND status IN ('queued', 'retrying', 'failed')
      AND json_extract(payload, @path) = @provisionalId`)

  function realIdOf(destination: string, provisionalId: string): string | null {
    return (select.get(destination, provisionalId) as { real_id: string } | undefined)?.real_id ?? null
  }

  /** Records the real id and rewrites every undelivered event of that device; returns how many. */
  const resolveDevice = db.transaction(
    (destination: string, provisionalId: string, realId: string, field: string, now: number): number => {
      insert.run(destination, provisionalId, realId, now)
      return rewrite.run({ destination, provisionalId, realId, path: `$.${field}` }).changes
    }
  )

  return {
    realIdOf,
    resolveDevice: (
      destination: string,
      provisionalId: string,
      realId: string,
      field: string,
      now: number
    ): number => resolveDevice(destination, provisionalId, realId, field, now)
  }
}

export type DeviceIds = ReturnType<typeof createDeviceIds>
