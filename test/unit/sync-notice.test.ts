import { expect, it } from 'vitest'
import { syncNotice } from '../../src/renderer/src/sync-notice'

it('says nothing when every destination asked is sending: its card shows it', () => {
  expect(syncNotice({ syncing: ['whisperr'], held: [] }, false)).toBeNull()
  expect(syncNotice({ syncing: ['whisperr', 'userflux'], held: [] }, true)).toBeNull()
})

it('says a paused destination sent nothing, what stays queued, and what would send it', () => {
  expect(
    syncNotice({ syncing: [], held: [{ destination: 'whisperr', blocker: 'paused', waiting: 3 }] }, false)
  ).toBe(
    'whisperr is paused, so nothing was sent: its 3 waiting events stay queued, and new ones will wait until you press Resume.'
  )
  expect(
    syncNotice({ syncing: [], held: [{ destination: 'whisperr', blocker: 'paused', waiting: 1 }] }, false)
  ).toBe(
    'whisperr is paused, so nothing was sent: its 1 waiting event stays queued, and new ones will wait until you press Resume.'
  )
  expect(
    syncNotice({ syncing: [], held: [{ destination: 'whisperr', blocker: 'paused', waiting: 0 }] }, false)
  ).toBe(
    'whisperr is paused, so nothing was sent: nothing is waiting, and new events will wait until you press Resume.'
  )
})

it('for Sync all, names what syncs and each held destination', () => {
  const notice = syncNotice(
    {
      syncing: ['userflux', 'weespin'],
      held: [
        { destination: 'whisperr', blocker: 'paused', waiting: 12_345 },
        { destination: 'keyless', blocker: 'not_configured', waiting: 2 },
        { destination: 'flywheel', blocker: 'auth', waiting: 1 }
      ]
    },
    true
  )
  expect(notice).toBe(
    'Syncing userflux, weespin. ' +
      `whisperr is paused, so nothing was sent: its ${(12_345).toLocaleString()} waiting events stay queued, and new ones will wait until you press Resume. ` +
      'keyless has no API key, so nothing was sent: its 2 waiting events stay queued, and new ones will wait until a key is set (Set key). ' +
      'flywheel had its API key refused, so nothing was sent: its 1 waiting event stays queued, and new ones will wait for the next key check; Resume checks the key now, or set a new one.'
  )
  expect(
    syncNotice({ syncing: [], held: [{ destination: 'whisperr', blocker: 'paused', waiting: 0 }] }, true)
  ).toMatch(/^Sync all: whisperr is paused/)
})
