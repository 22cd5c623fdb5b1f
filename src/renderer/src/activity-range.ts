import { create } from 'zustand'
import type { ActivityRange } from '@shared/activity'

/**
 * Which range the Activity view charts: its switch sits in the toolbar, its charts below, so
 * both read it here (a module of its own rather than the app's store, which knows nothing of it).
 */
export const useActivityRange = create<{ range: ActivityRange; setRange(range: ActivityRange): void }>()(
  (set) => ({
    range: 'hour',
    setRange: (range) => set({ range })
  })
)
