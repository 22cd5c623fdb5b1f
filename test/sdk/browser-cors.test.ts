import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { corsCheckingFetch } from './browser-cors'

const PAGE = 'http://localhost:3000'
const sdkRequest = {
  method: 'POST',
  headers: { 'Content-Type': 'application/json', 'X-API-Key': 'k' },
  body: '{}'
}

let server: Server

/** A server on 127.0.0.1 that answers every request 204, with `cors` headers when given. */
async function serve(cors: Record<string, string>): Promise<string> {
  server = createServer((_request, response) => response.writeHead(204, cors).end())
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/events/batch`
}
afterEach(() => new Promise((resolve) => server.close(resolve)))

describe('the browser CORS checks the SDK tests put around fetch', () => {
  it('let a request through when the preflight and the answer allow the page', async () => {
    const url = await serve({
      'access-control-allow-origin': PAGE,
      'access-control-allow-headers': 'Content-Type, X-API-Key'
    })
    const blocked: string[] = []
    const response = await corsCheckingFetch(fetch, PAGE, blocked)(url, sdkRequest)
    expect(response.status).toBe(204)
    expect(blocked).toEqual([])
  })

  it('fail the fetch as a browser does, saying why, when a header is not allowed', async () => {
    const url = await serve({
      'access-control-allow-origin': '*',
      'access-control-allow-headers': 'content-type'
    })
    const blocked: string[] = []
    await expect(corsCheckingFetch(fetch, PAGE, blocked)(url, sdkRequest)).rejects.toThrow('Failed to fetch')
    expect(blocked).toEqual(['POST /v1/events/batch: Access-Control-Allow-Headers does not list x-api-key'])
  })
})
