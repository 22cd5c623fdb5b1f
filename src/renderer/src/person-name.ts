import { useSyncExternalStore } from 'react'
import { PERSON_HEADER, personNameProblem } from '@shared/person'

/**
 * The console's person: a name given once, kept by this browser (not secret, and no use to anyone
 * else), sent with every call so the history records who edited, resent or discarded.
 */

const STORAGE_KEY = 'outpost.personName'
const listeners = new Set<() => void>()

/** The desktop app records the OS user itself; only the console asks for a name. */
export function asksForPersonName(): boolean {
  return window.outpost === undefined
}

/** The name given in this browser; null when none was (or what is stored is not a valid name). */
export function savedPersonName(): string | null {
  let stored: string | null = null
  try {
    stored = localStorage.getItem(STORAGE_KEY)
  } catch {
    // Storage can be refused (a private window's policy): then no name is kept.
  }
  return stored !== null && personNameProblem(stored) === null ? stored : null
}

/** Keeps the name (trimmed), or forgets it with null. Throws when the browser refuses to store it. */
export function savePersonName(name: string | null): void {
  if (name === null) localStorage.removeItem(STORAGE_KEY)
  else localStorage.setItem(STORAGE_KEY, name.trim())
  listeners.forEach((listener) => listener())
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener)
  // Another tab of the console may change it.
  window.addEventListener('storage', listener)
  return () => {
    listeners.delete(listener)
    window.removeEventListener('storage', listener)
  }
}

export function usePersonName(): string | null {
  return useSyncExternalStore(subscribe, savedPersonName)
}

/** What goes with each call to the admin API: the name, when one was given. */
export function personHeaders(): Record<string, string> {
  const name = savedPersonName()
  return name === null ? {} : { [PERSON_HEADER]: encodeURIComponent(name) }
}
