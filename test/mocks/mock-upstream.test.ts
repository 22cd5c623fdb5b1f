/**
 * The generic base, with a trivial handler: what the Whisperr tests do not already cover.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { startMockUpstream, summarizeRequests, type MockUpstream } from './mock-upstream'

let upstream: MockUpstream | undefined

afterEach(async () => {
  await upstream?.close()
  upstream = undefined
})

describe('startMockUpstream', () => {
  it('listens on 127.0.0.1 and an OS-chosen port', async () => {
    upstream = await startMockUpstream(() => ({ status: 204 }))
    expect(upstream.port).toBeGreaterThan(0)
    expect(upstream.url).toBe(`http://127.0.0.1:${upstream.port}`)
    const response = await fetch(`${upstream.url}/anything`)
    expect(response.status).toBe(204)
    expect(await response.text()).toBe('')
  })

  it('sends a string body verbatim and any other body as JSON', async () => {
    upstream = await startMockUpstream((request) =>
      request.path === '/text' ? { status: 200, body: '{not json' } : { status: 200, body: { ok: true } }
    )
    const text = await fetch(`${upstream.url}/text`)
    expect(text.headers.get('content-type')).toBe('text/plain; charset=utf-8')
    expect(await text.text()).toBe('{not json')
    const json = await fetch(`${upstream.url}/json`)
    expect(json.headers.get('content-type')).toBe('application/json; charset=utf-8')
    expect(await json.json()).toEqual({ ok: true })
  })

  it('records a body that is not JSON with json undefined', async () => {
    upstream = await startMockUpstream(() => ({ status: 200 }))
    await fetch(upstream.url, { method: 'POST', body: 'plain words' })
    expect(upstream.requests).toMatchObject([
      { method: 'POST', path: '/', body: 'plain words', json: undefined }
    ])
  })

  it('answers 500 and keeps the error when the handler throws', async () => {
    upstream = await startMockUpstream(() => {
      throw new Error('handler bug')
    })
    const response = await fetch(upstream.url)
    expect(response.status).toBe(500)
    expect(await response.json()).toEqual({ error: 'mock_handler_error', message: 'handler bug' })
    expect(upstream.handlerErrors.map((error) => error.message)).toEqual(['handler bug'])
  })

  it('timeout with handled: true runs the handler but never answers', async () => {
    let handled = 0
    upstream = await startMockUpstream(() => {
      handled++
      return { status: 200 }
    })
    upstream.failNext(1, { type: 'timeout', handled: true })
    await expect(fetch(upstream.url, { signal: AbortSignal.timeout(100) })).rejects.toThrow()
    expect(handled).toBe(1)
    expect(upstream.requests).toMatchObject([{ status: null }])
  })

  it('stop() cancels a slow answer so its handler never runs', async () => {
    let handled = 0
    upstream = await startMockUpstream(() => {
      handled++
      return { status: 200 }
    })
    upstream.failNext(1, { type: 'slow', delayMs: 100 })
    const pending = fetch(upstream.url).then(
      () => 'answered',
      () => 'failed'
    )
    await upstream.waitFor((requests) => requests.length === 1, 1_000)
    await upstream.stop()
    expect(await pending).toBe('failed')
    // A slower request after the restart outlives the cancelled 100 ms delay: only it is handled.
    await upstream.restart()
    upstream.failNext(1, { type: 'slow', delayMs: 150 })
    expect((await fetch(upstream.url)).status).toBe(200)
    expect(handled).toBe(1)
  })

  it('restart() while listening bounces the server on the same port', async () => {
    upstream = await startMockUpstream(() => ({ status: 200 }))
    const { port } = upstream
    await upstream.restart()
    expect(upstream.isListening()).toBe(true)
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(200)
  })

  it('clearRequests() empties the live list in place', async () => {
    upstream = await startMockUpstream(() => ({ status: 200 }))
    const live = upstream.requests
    await fetch(upstream.url)
    upstream.clearRequests()
    expect(live).toHaveLength(0)
    await fetch(upstream.url)
    expect(live).toHaveLength(1)
  })
})

describe('summarizeRequests', () => {
  it('says when nothing arrived', () => {
    expect(summarizeRequests([])).toBe('no requests were received')
  })
})
