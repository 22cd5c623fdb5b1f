import type { SyncBlocker, SyncOutcome } from '@shared/model'
import { formatCount } from './format'

const waitingWords = (waiting: number) =>
  waiting === 0
    ? 'nothing is waiting, and new events'
    : `its ${formatCount(waiting)} waiting ${waiting === 1 ? 'event stays' : 'events stay'} queued, and new ones`

/** What it takes for a held destination's events to go: said where the person can do it. */
const UNTIL: Record<SyncBlocker, string> = {
  paused: 'will wait until you press Resume',
  not_configured: 'will wait until a key is set (Set key)',
  auth: 'will wait for the next key check; Resume checks the key now, or set a new one'
}

const REASON: Record<SyncBlocker, string> = {
  paused: 'is paused',
  not_configured: 'has no API key',
  auth: 'had its API key refused'
}

function heldSentence({ destination, blocker, waiting }: SyncOutcome['held'][number]): string {
  return `${destination} ${REASON[blocker]}, so nothing was sent: ${waitingWords(waiting)} ${UNTIL[blocker]}.`
}

/**
 * What "Sync now" or "Sync all" did, when a hold kept a destination from sending; null when every
 * destination asked is sending (its card shows the progress). A pause is a person's choice, so
 * sync does not lift it: the words say what would.
 */
export function syncNotice(outcome: SyncOutcome, all: boolean): string | null {
  if (outcome.held.length === 0) return null
  const held = outcome.held.map(heldSentence).join(' ')
  if (!all) return held
  return outcome.syncing.length === 0 ? `Sync all: ${held}` : `Syncing ${outcome.syncing.join(', ')}. ${held}`
}
