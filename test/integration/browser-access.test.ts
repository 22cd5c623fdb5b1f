import { request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startTestCollector, type TestCollector } from '../support/collector'
import { whisperrEvent } from '../support/whisperr-events'

const KIOSK = 'https://kiosk.example'
const FOREIGN = 'https://evil.example'
const TRACK = '/whisperr/v1/events/track'

interface Answer {
  status: number
  headers: IncomingHttpHeaders
  body: { error?: string; message?: string } | undefined
}

/**
 * A request with the headers a browser or an attacker would send: Node's fetch does not let a
 * test set `Host`, and the collector must judge the header, not the address it was reached on.
 */
function send(
  outpost: TestCollector,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string
): Promise<Answer> {
  const { hostname, port } = new URL(outpost.url)
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, method, path, headers }, (response) => {
      let text = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => (text += chunk))
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: text ? JSON.parse(text) : undefined
        })
      )
    })
    req.on('error', reject)
    req.end(body)
  })
}

const jsonEvent = () => JSON.stringify(whisperrEvent())
const track = (outpost: TestCollector, headers: Record<string, string>) =>
  send(outpost, 'POST', TRACK, { 'content-type': 'application/json', ...headers }, jsonEvent())
const adminHeaders = { authorization: 'Bearer test-token' }

describe('which requests a browser page can make the collector answer', () => {
  let outpost: TestCollector
  let port: string

  beforeAll(async () => {
    // No upstream key: what is accepted stays in the outbox, so the test sees what was stored.
    outpost = await startTestCollector({
      destinations: [
        { id: 'whisperr', vendor: 'whisperr', baseUrl: 'http://127.0.0.1:9', allowedOrigins: [KIOSK] },
        { id: 'flywheel', vendor: 'flywheel', baseUrl: 'http://127.0.0.1:9', allowedOrigins: [FOREIGN] }
      ],
      ingest: { allowedHosts: ['outpost.lan'] }
    })
    port = new URL(outpost.url).port
  })
  afterAll(() => outpost.close())
  beforeEach(() => outpost.api.clearRejections({}))

  const stored = async () => (await outpost.api.listEvents({})).events

  describe('Host', () => {
    it('answers 421 to a name that is not loopback (DNS rebinding), on ingest, the admin API and the console', async () => {
      for (const host of ['evil.example', `evil.example:${port}`, `localhost.evil.example:${port}`]) {
        const answers = [
          await track(outpost, { host }),
          await send(outpost, 'GET', '/api/stats', { host, ...adminHeaders }),
          await send(outpost, 'GET', '/', { host }),
          await send(outpost, 'OPTIONS', TRACK, {
            host,
            origin: KIOSK,
            'access-control-request-method': 'POST'
          })
        ]
        for (const answer of answers) {
          expect(answer.status, host).toBe(421)
          expect(answer.body).toMatchObject({
            error: 'misdirected_request',
            message: expect.stringContaining(host)
          })
        }
      }
      expect(await stored()).toEqual([])
    })

    it('accepts the loopback names, with or without the port, and the configured names', async () => {
      const hosts = [
        `localhost:${port}`,
        'localhost',
        `127.0.0.1:${port}`,
        `127.1.2.3:${port}`,
        `[::1]:${port}`,
        `LocalHost:${port}`,
        `outpost.lan:${port}`,
        'outpost.lan'
      ]
      for (const host of hosts) {
        expect((await track(outpost, { host })).status, host).toBe(202)
        expect((await send(outpost, 'GET', '/api/stats', { host, ...adminHeaders })).status, host).toBe(200)
      }
    })
  })

  describe('Origin on ingest', () => {
    it('refuses a page whose origin its destination does not allow: 403 naming the origin and the key, nothing stored, a rejection shown', async () => {
      const before = (await stored()).length
      const answer = await track(outpost, { origin: FOREIGN })
      expect(answer.status).toBe(403)
      expect(answer.body).toMatchObject({ error: 'origin_not_allowed' })
      expect(answer.body?.message).toContain(FOREIGN)
      expect(answer.body?.message).toContain('allowedOrigins')
      expect(answer.headers['access-control-allow-origin']).toBeUndefined()
      expect((await stored()).length).toBe(before)
      expect(await outpost.api.listRejections({})).toMatchObject([
        { method: 'POST', url: TRACK, destination: 'whisperr', status: 403, error: 'origin_not_allowed' }
      ])
    })

    it('refuses the requests a page sends without a preflight: a no-cors text/plain POST, a beacon', async () => {
      const before = (await stored()).length
      for (const contentType of ['text/plain;charset=UTF-8', 'application/x-www-form-urlencoded']) {
        const answer = await send(
          outpost,
          'POST',
          TRACK,
          { 'content-type': contentType, origin: FOREIGN },
          jsonEvent()
        )
        expect(answer.status, contentType).toBe(403)
      }
      // A page on the collector's own origin (the console) is no ingest client either.
      expect((await track(outpost, { origin: outpost.url })).status).toBe(403)
      expect((await stored()).length).toBe(before)
    })

    it('takes the origins allowed per destination only: one allowed for flywheel is refused by whisperr', async () => {
      expect((await track(outpost, { origin: FOREIGN })).status).toBe(403)
      expect((await track(outpost, { origin: KIOSK })).status).toBe(202)
    })

    it('lets apps that are not browsers (no Origin) send as before', async () => {
      expect((await track(outpost, {})).status).toBe(202)
    })
  })

  describe('CORS for the allowed origins', () => {
    const preflight = (path: string, origin: string, extra: Record<string, string> = {}) =>
      send(outpost, 'OPTIONS', path, {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,x-api-key',
        ...extra
      })

    it("answers an allowed origin's preflight with the vendor's client headers", async () => {
      const answer = await preflight(TRACK, KIOSK, { 'access-control-request-private-network': 'true' })
      expect(answer.status).toBe(204)
      expect(answer.headers).toMatchObject({
        'access-control-allow-origin': KIOSK,
        vary: 'Origin',
        'access-control-allow-methods': 'POST',
        'access-control-max-age': expect.stringMatching(/^\d+$/),
        'access-control-allow-private-network': 'true'
      })
      const allowed = answer.headers['access-control-allow-headers']?.split(', ')
      expect(allowed).toEqual(
        expect.arrayContaining(['content-type', 'x-api-key', 'authorization', 'idempotency-key'])
      )

      const flywheel = await preflight('/flywheel/v1/events', FOREIGN)
      expect(flywheel.status).toBe(204)
      expect(flywheel.headers['access-control-allow-headers']?.split(', ')).toEqual(
        expect.arrayContaining(['content-type', 'authorization', 'auth-type', 'idempotency-key'])
      )
      expect(flywheel.headers['access-control-allow-private-network']).toBeUndefined()
    })

    it('answers every ingest path of the destination, and grants nothing to another origin', async () => {
      for (const path of ['/whisperr/v1/events/batch', '/whisperr/v1/identify']) {
        expect((await preflight(path, KIOSK)).status, path).toBe(204)
      }
      const refused = await preflight(TRACK, FOREIGN)
      expect(refused.status).toBe(403)
      expect(refused.body).toMatchObject({ error: 'origin_not_allowed' })
      for (const name of Object.keys(refused.headers)) expect(name).not.toMatch(/^access-control-/)
    })

    it("puts the CORS headers on an allowed origin's answers, errors included", async () => {
      const accepted = await track(outpost, { origin: KIOSK })
      expect(accepted.status).toBe(202)
      expect(accepted.headers).toMatchObject({ 'access-control-allow-origin': KIOSK, vary: 'Origin' })
      expect(accepted.headers['access-control-expose-headers']).toContain('x-outpost-duplicates')

      const invalid = await send(
        outpost,
        'POST',
        TRACK,
        { 'content-type': 'application/json', origin: KIOSK },
        '{'
      )
      expect(invalid.status).toBe(400)
      expect(invalid.headers).toMatchObject({ 'access-control-allow-origin': KIOSK, vary: 'Origin' })

      const noAnswerForOthers = await track(outpost, {})
      expect(noAnswerForOthers.headers['access-control-allow-origin']).toBeUndefined()
    })
  })

  describe('Origin on the admin API and the console', () => {
    it('refuses a page on another origin, takes the collector’s own', async () => {
      const foreign = await send(outpost, 'GET', '/api/stats', { origin: FOREIGN, ...adminHeaders })
      expect(foreign.status).toBe(403)
      expect(foreign.body).toMatchObject({ error: 'origin_not_allowed' })
      const clear = await send(outpost, 'POST', '/api/rejections/clear', { origin: KIOSK, ...adminHeaders })
      expect(clear.status).toBe(403)
      expect((await send(outpost, 'GET', '/', { origin: FOREIGN })).status).toBe(403)

      const own = await send(outpost, 'GET', '/api/stats', { origin: outpost.url, ...adminHeaders })
      expect(own.status).toBe(200)
      const ownByName = await send(outpost, 'GET', '/api/stats', {
        host: `localhost:${port}`,
        origin: `http://localhost:${port}`,
        ...adminHeaders
      })
      expect(ownByName.status).toBe(200)
      // Another port of the same machine is another origin.
      const otherPort = await send(outpost, 'GET', '/api/stats', {
        origin: 'http://127.0.0.1:1',
        ...adminHeaders
      })
      expect(otherPort.status).toBe(403)
    })
  })
})
