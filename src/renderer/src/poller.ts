export interface Poller {
  start(): void
  stop(): void
  /** Run the task as soon as possible (after the current run, if one is in flight). */
  wake(): void
}

/**
 * Runs `task` every `intervalMs`, measured from the end of the previous run, so a slow collector
 * never gets overlapping requests from one window.
 */
export function createPoller(task: () => Promise<void>, intervalMs: number): Poller {
  let active = false
  let running = false
  let runAgain = false
  let timer: ReturnType<typeof setTimeout> | null = null

  const clearTimer = (): void => {
    if (timer !== null) clearTimeout(timer)
    timer = null
  }

  const run = async (): Promise<void> => {
    if (!active) return
    if (running) {
      runAgain = true
      return
    }
    clearTimer()
    running = true
    try {
      await task()
    } catch {
      // The task reports its own failures; the schedule must survive them.
    } finally {
      running = false
    }
    if (!active) return
    if (runAgain) {
      runAgain = false
      void run()
      return
    }
    timer = setTimeout(() => void run(), intervalMs)
  }

  return {
    start() {
      active = true
      void run()
    },
    stop() {
      active = false
      runAgain = false
      clearTimer()
    },
    wake() {
      void run()
    }
  }
}
