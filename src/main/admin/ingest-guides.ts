import { INGEST_KEY_PLACEHOLDER, type IngestGuide } from '@shared/model'
import type { Destination } from '../config'
import type { Connector } from '../connectors/types'

/** `/projects/:projectId/events` as people write it: `/projects/{projectId}/events`. */
const readablePath = (path: string) => path.replace(/:(\w+)/g, '{$1}')

/**
 * How an app sends to one destination: the connector's own routes and example, so what the
 * console shows is what the ingest server mounts and validates. An ingest key is never shown:
 * where one is needed the example holds the placeholder.
 */
export function ingestGuide(
  destination: Destination & { connector: Connector },
  ingestUrl: string,
  now: number
): IngestGuide {
  const { connector } = destination
  const example = connector.example(now)
  const needsIngestKey = destination.ingestKeys.length > 0
  return {
    destination: destination.id,
    vendorLabel: connector.label,
    ingestUrl,
    routes: connector.routes.map((route) => ingestUrl + readablePath(route.path)),
    example: {
      url: ingestUrl + example.path,
      headers: {
        'Content-Type': 'application/json',
        ...(needsIngestKey ? connector.keyHeaders(INGEST_KEY_PLACEHOLDER) : {})
      },
      body: example.body
    },
    needsIngestKey
  }
}
