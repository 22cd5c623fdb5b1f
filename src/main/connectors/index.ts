import type { VendorId } from '@shared/model'
import type { Connector } from './types'
import { whisperr } from './whisperr'
import { weespin } from './weespin'
import { userflux } from './userflux'
import { embeddables } from './embeddables'
import { flywheel } from './flywheel'

/** The registry: a vendor is supported when its connector is listed here. */
export const connectors: Partial<Record<VendorId, Connector>> = {
  whisperr,
  weespin,
  userflux,
  embeddables,
  flywheel
}

export function connectorFor(vendor: VendorId): Connector | undefined {
  return connectors[vendor]
}

export type { Connector } from './types'
