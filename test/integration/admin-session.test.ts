import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LOGIN_CODE_TTL_MS } from '../../src/main/admin/auth'
import { startCollector, type Collector } from '../../src/main/collector'
import { parseConfig } from '../../src/main/config'
import { tempDir } from '../support/temp'

const TOKEN = 'admin-session-test-token'

/**
 * How a browser gets into the admin API without the token ever sitting in a URL: a one-time login
 * link or the token traded once for an HttpOnly session cookie; and that the caller is checked
 * before the body is read. Scripts keep `Authorization: Bearer`.
 */
describe('admin API sign-in', () => {
  const dir = tempDir('outpost-admin-session')
  let collector: Collector
  let clock = Date.now()

  beforeAll(async () => {
    collector = await startCollector({
      searchIndex: false,
      config: parseConfig({
        ingest: { host: '127.0.0.1', port: 0 },
        // No key: nothing is delivered, the test only talks to the admin API.
        destinations: [{ id: 'whisperr', vendor: 'whisperr', baseUrl: 'http://127.0.0.1:9' }]
      }),
      dataDir: dir.path,
      adminToken: TOKEN,
      rendererDir: null,
      env: {},
      now: () => clock
    })
  })
  afterAll(async () => {
    await collector?.close()
    dir.remove()
  })

  const visit = (url: string) => fetch(url, { redirect: 'manual' })
  const api = (path: string, init: RequestInit = {}) => fetch(collector.url + path, init)
  const errorOf = async (response: Response) => ((await response.json()) as { error: string }).error
  /** The cookie a response set, as a browser would send it back. */
  const sessionCookie = (response: Response) =>
    /^(outpost_session=[^;]+)/.exec(response.headers.get('set-cookie') ?? '')?.[1]
  const sameOrigin = () => ({ origin: collector.url })

  it('a login link sets an HttpOnly, SameSite=Strict session cookie, goes to /, and works only once', async () => {
    const link = collector.loginLink()
    expect(link).toMatch(new RegExp(`^${collector.url}/login\\?code=[\\w-]{32}$`))
    expect(link).not.toContain(TOKEN)

    const first = await visit(link)
    expect(first.status).toBe(303)
    expect(first.headers.get('location')).toBe('/')
    expect(first.headers.get('set-cookie')).toMatch(
      /^outpost_session=[\w-]{43}; HttpOnly; SameSite=Strict; Path=\/$/
    )
    expect(first.headers.get('set-cookie')).not.toContain(TOKEN)
    const cookie = sessionCookie(first) as string

    expect((await api('/api/stats', { headers: { cookie } })).status).toBe(200)
    const sync = await api('/api/sync', {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json', ...sameOrigin() },
      body: '{}'
    })
    expect(sync.status).toBeLessThan(300)

    const again = await visit(link)
    expect(again.status).toBe(401)
    expect(again.headers.get('set-cookie')).toBeNull()
    expect(await again.text()).toMatch(/already used or has expired/)
  })

  it('a login link expires after its minutes', async () => {
    const link = collector.loginLink()
    clock += LOGIN_CODE_TTL_MS
    const late = await visit(link)
    expect(late.status).toBe(401)
    expect(late.headers.get('set-cookie')).toBeNull()
  })

  it('a HEAD of the link (a preview, a prefetch) does not spend it', async () => {
    const link = collector.loginLink()
    expect((await fetch(link, { method: 'HEAD', redirect: 'manual' })).headers.get('set-cookie')).toBeNull()
    expect((await visit(link)).status).toBe(303)
  })

  it('the token traded at POST /api/session gives the same cookie; a wrong one gives none', async () => {
    const wrong = await api('/api/session', {
      method: 'POST',
      headers: { authorization: 'Bearer not-the-token' }
    })
    expect(wrong.status).toBe(401)
    expect(wrong.headers.get('set-cookie')).toBeNull()
    expect(await wrong.json()).toMatchObject({
      error: 'unauthorized',
      message: 'The collector refused that admin token'
    })

    const traded = await api('/api/session', {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` }
    })
    expect(traded.status).toBe(204)
    expect(traded.headers.get('set-cookie')).toMatch(/; HttpOnly; SameSite=Strict; Path=\/$/)
    expect((await api('/api/stats', { headers: { cookie: sessionCookie(traded) as string } })).status).toBe(
      200
    )
  })

  it('POST /api/login-link gives a fresh link to a token holder only', async () => {
    expect((await api('/api/login-link', { method: 'POST' })).status).toBe(401)
    const answer = await api('/api/login-link', {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` }
    })
    const { url } = (await answer.json()) as { url: string }
    expect(url.startsWith(`${collector.url}/login?code=`)).toBe(true)
    expect((await visit(url)).status).toBe(303)
  })

  it('says why a caller is refused: no credentials, an unknown session, a wrong token', async () => {
    const none = await api('/api/stats')
    expect(none.status).toBe(401)
    expect(await errorOf(none)).toBe('not_signed_in')
    const forged = await api('/api/stats', { headers: { cookie: 'outpost_session=forged' } })
    expect(forged.status).toBe(401)
    expect(await errorOf(forged)).toBe('session_ended')
    // A short and a long wrong token are refused alike (the comparison is of digests).
    for (const token of ['x', `${TOKEN}${TOKEN}`, TOKEN.slice(0, -1)]) {
      expect((await api('/api/stats', { headers: { authorization: `Bearer ${token}` } })).status).toBe(401)
    }
    // A wrong token is not rescued by a good cookie: the caller said who it is.
    const cookie = sessionCookie(await visit(collector.loginLink())) as string
    expect((await api('/api/stats', { headers: { cookie, authorization: 'Bearer wrong' } })).status).toBe(401)
    expect((await api('/api/stats', { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200)
  })

  it('checks the caller before reading the body', async () => {
    const unreadable = await api('/api/events/resend', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"ids": [1, '
    })
    expect(unreadable.status).toBe(401)
    const oversized = await api('/api/events/discard', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ids: Array(3_000_000).fill(1) })
    })
    expect(oversized.status).toBe(401)
  })

  it('refuses a session cookie sent by a page of another origin, even of this machine', async () => {
    const cookie = sessionCookie(await visit(collector.loginLink())) as string
    const foreign = await api('/api/destinations/whisperr/pause', {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json', origin: 'http://127.0.0.1:1' },
      body: '{}'
    })
    expect(foreign.status).toBe(403)
    expect((await collector.api.getStats({})).destinations[0]?.paused).toBe(false)
  })
})
