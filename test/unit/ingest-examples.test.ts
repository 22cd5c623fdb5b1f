import { describe, expect, it } from 'vitest'
import { connectors } from '../../src/main/connectors'
import type { Connector, IngestRoute } from '../../src/main/connectors/types'

/** The route that serves a concrete path, and the path parameters it reads from it. */
function routeFor(
  connector: Connector,
  path: string
): { route: IngestRoute; params: Record<string, string> } {
  for (const route of connector.routes) {
    const names: string[] = []
    const pattern = route.path.replace(/:(\w+)/g, (_, name: string) => {
      names.push(name)
      return '([^/]+)'
    })
    const match = new RegExp(`^${pattern}$`).exec(path)
    if (match)
      return { route, params: Object.fromEntries(names.map((name, i) => [name, match[i + 1] as string])) }
  }
  throw new Error(`${connector.vendor} serves no route at ${path}`)
}

const lowercased = (headers: Record<string, string>) =>
  Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]))

describe.each(connectors.map((connector) => [connector.vendor, connector] as const))(
  "%s: the console's example request",
  (_vendor, connector) => {
    it("passes the connector's own rules now, a week on and a week back", () => {
      const now = Date.now()
      for (const at of [now, now + 7 * 86_400_000, now - 7 * 86_400_000]) {
        const example = connector.example(at)
        const { route, params } = routeFor(connector, example.path)
        const outcome = route.accept({
          body: JSON.parse(example.body),
          text: example.body,
          params,
          query: {},
          now: at
        })
        expect(outcome.ok ? [] : outcome.problems).toEqual([])
      }
    })

    it('sends the key in the header its clients use, which the connector reads back', () => {
      const headers = lowercased(connector.keyHeaders('kiosk-key'))
      expect(connector.clientKey(headers)).toBe('kiosk-key')
      // A browser page may send them only when the preflight allows them.
      expect(connector.clientHeaders).toEqual(expect.arrayContaining(Object.keys(headers)))
    })
  }
)

it('gives each Whisperr example a message id of its own: a repeated id is stored once', () => {
  const whisperr = connectors.find((connector) => connector.vendor === 'whisperr') as Connector
  const ids = [1, 2].map(() => JSON.parse(whisperr.example(Date.now()).body).context.$message_id)
  expect(new Set(ids).size).toBe(2)
})
