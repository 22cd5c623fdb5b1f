import type { OutpostBridge } from '../shared/bridge-client'

declare global {
  interface Window {
    /** Present in the Electron app (preload bridge); absent in the headless web console. */
    outpost?: OutpostBridge
  }
}
