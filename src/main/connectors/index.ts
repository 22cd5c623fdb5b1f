import type { Connector } from './types'
import { whisperr } from './whisperr'
import { embeddables } from './embeddables'
import { weespin } from './weespin'
import { flywheel } from './flywheel'
import { userflux } from './userflux'

/**
 * The registry: a vendor is supported when its connector is listed here, and only here. The
 * config's vendor names, the default config and the ingest routes all come from this list; lint
 * refuses an import of a vendor's folder from anywhere else.
 */
export const connectors: readonly Connector[] = [whisperr, embeddables, weespin, flywheel, userflux]

export function connectorFor(vendor: string): Connector | undefined {
  return connectors.find((connector) => connector.vendor === vendor)
}

export type { Connector } from './types'
