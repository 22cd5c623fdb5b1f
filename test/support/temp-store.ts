import { afterEach, beforeEach } from 'vitest'
import { openStore, type Store } from '../../src/main/store'
import { tempDir } from './temp'

export interface TempStore {
  /** This test's store, opened fresh before it and closed after it. */
  readonly store: Store
  /** This test's folder, removed after it. */
  readonly folder: string
  /** Closes the store and uses the one `open` returns instead, closed after the test like the first. */
  replace(open: (folder: string) => Store): Store
}

/**
 * Gives each test of the calling describe block its own outbox.sqlite in its own temporary folder.
 * Read `.store` inside a test (or a hook): it is a new store each time.
 */
export function useTempStore(label?: string): TempStore {
  let dir: ReturnType<typeof tempDir> | undefined
  let store: Store | undefined
  beforeEach(() => {
    dir = tempDir(label)
    store = openStore(`${dir.path}/outbox.sqlite`)
  })
  afterEach(() => {
    store?.close()
    store = undefined
    dir?.remove()
    dir = undefined
  })
  const current = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('useTempStore: read only inside a test or hook')
    return value
  }
  return {
    get store() {
      return current(store)
    },
    get folder() {
      return current(dir).path
    },
    replace(open) {
      current(store).close()
      store = undefined
      store = open(current(dir).path)
      return store
    }
  }
}
