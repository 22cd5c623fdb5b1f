import { basename, join } from 'node:path'
import { lockDataDir } from './data-lock'
import { recoverOutbox, type RecoveryReport, type TableSalvage } from './store/recover'

/** `outpost recover`: salvages a damaged outbox (store/recover.ts) and says what it kept. */

const TABLE_LABELS: Record<string, string> = {
  outbox: 'events',
  attempts: 'delivery attempts',
  attempt_events: 'attempt links',
  user_actions: 'history entries',
  destination_state: 'destination states',
  device_ids: 'device ids',
  activity: 'activity minutes'
}

function describeTable(salvage: TableSalvage, eventsBefore: number | null): string {
  const label = (TABLE_LABELS[salvage.table] ?? salvage.table).padEnd(20)
  if (salvage.unreadable) return `  ${label}none: ${salvage.unreadable}`
  const of = salvage.table === 'outbox' && eventsBefore !== null ? ` of ${eventsBefore}` : ''
  const notes = [
    salvage.unreadableRanges > 0 &&
      `${salvage.unreadableRanges} damaged stretch${salvage.unreadableRanges === 1 ? '' : 'es'} skipped`,
    salvage.refused > 0 && `${salvage.refused} refused: they referred to lost rows or were garbled`
  ].filter(Boolean)
  return `  ${label}${salvage.copied}${of}${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`
}

function reportLines(report: RecoveryReport): string[] {
  if (!report.damaged)
    return [`${report.file} is not damaged (PRAGMA quick_check found nothing): nothing was changed.`]
  const [database, ...companions] = report.movedAside
  return [
    `The outbox ${report.file} was damaged (${report.damage}).`,
    `Moved aside, unchanged: ${database}` +
      (companions.length > 0 ? ` (with ${companions.map((file) => basename(file)).join(', ')})` : ''),
    `Salvaged into a new ${report.file}:`,
    ...report.tables.map((table) => describeTable(table, report.eventsBefore)),
    'Start Outpost again: it delivers the salvaged events that were waiting. Delete the damaged file once you no longer need it.'
  ]
}

/** Holds the data folder while it works, so no collector can use the outbox meanwhile. */
export function runRecover(dataDir: string): void {
  const unlock = lockDataDir(dataDir)
  try {
    for (const line of reportLines(recoverOutbox(join(dataDir, 'outbox.sqlite')))) console.log(line)
  } finally {
    unlock()
  }
}
