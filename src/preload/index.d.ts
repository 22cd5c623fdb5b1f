import type { OutpostApi } from '../shared/api'

declare global {
  interface Window {
    /** Present in the Electron app (preload bridge); absent in the headless web console. */
    outpost?: OutpostApi
  }
}
