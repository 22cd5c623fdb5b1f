import { execFileSync, spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, expect, it } from 'vitest'
import { nkeyAuthenticator, nkeys } from '@nats-io/transport-node'
import { startTestCollector, type TestCollector } from '../support/collector'
import { addStream, describeWithNatsServer, readStream, useNatsServer } from '../support/nats-server'
import { eventually, tempDir } from '../support/temp'
import { messageIdOf, whisperrEvent } from '../support/whisperr-events'

/**
 * A NATS destination's credentials and limits against the real server: a refused password holds
 * the destination like a vendor's 401 and heals by itself (its probe) once the server takes it; a
 * message over the server's max_payload fails alone and for good, not in a retry loop; no stream
 * for the subject is retried and shown, and delivers once the stream exists.
 */

const users = (kioskPassword: string) => `
authorization {
  users = [
    { user: admin, password: admin-secret }
    { user: kiosk, password: ${kioskPassword} }
  ]
}
`

/** The TLS test makes its certificates with the openssl command. */
const opensslMissing = spawnSync('openssl', ['version']).error !== undefined

/** A CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl in `dir`. */
function makeCertificates(
  dir: string
): Record<'ca' | 'serverCert' | 'serverKey' | 'clientCert' | 'clientKey', string> {
  const file = (name: string) => join(dir, name)
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' })
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
  openssl(
    'req',
    '-x509',
    ...key,
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '1',
    '-subj',
    '/CN=outpost-test-ca'
  )
  for (const [name, extensions] of [
    ['server', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth'],
    ['client', 'extendedKeyUsage=clientAuth']
  ] as const) {
    writeFileSync(file(`${name}.ext`), extensions)
    openssl('req', ...key, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`)
    openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      '1',
      '-extfile',
      `${name}.ext`
    )
  }
  return {
    ca: file('ca.pem'),
    serverCert: file('server.pem'),
    serverKey: file('server.key'),
    clientCert: file('client.pem'),
    clientKey: file('client.key')
  }
}

describeWithNatsServer('NATS destination: auth, limits and setup problems (real nats-server -js)', () => {
  const nats = useNatsServer()
  let outpost: TestCollector | null = null

  afterEach(async () => {
    await outpost?.close()
    outpost = null
  })

  const pipeline = async (target: TestCollector) =>
    (await target.api.getStats({})).destinations.find((destination) => destination.id === 'pipeline')

  async function startOutpost(url: string, nats: Record<string, unknown>, apiKey?: string) {
    return startTestCollector({
      destinations: [
        { id: 'whisperr', vendor: 'whisperr', baseUrl: 'http://127.0.0.1:9', apiKey: 'wrk_test' },
        {
          id: 'pipeline',
          vendor: 'nats',
          feeds: ['whisperr'],
          ...(apiKey ? { apiKey } : {}),
          nats: { servers: [url], publishTimeoutMs: 2_000, ...nats }
        }
      ],
      sync: { backoffBaseMs: 50, backoffMaxMs: 300, authRetryBaseMs: 500, authRetryMaxMs: 1_000 }
    })
  }

  it('holds on a refused password, and delivers by itself once the server takes it (the probe)', async () => {
    const { server, client } = await nats.start({
      configText: users('old-password'),
      credentials: { user: 'admin', pass: 'admin-secret' },
      connection: { maxReconnectAttempts: -1, reconnectTimeWait: 100 }
    })
    outpost = await startOutpost(server.url, { auth: 'user', user: 'kiosk' }, 'new-password')
    const events = [whisperrEvent(), whisperrEvent()]
    expect((await outpost.post('/whisperr/v1/events/batch', { events })).status).toBe(202)

    const target = outpost
    await eventually(async () => {
      const held = await pipeline(target)
      expect(held?.hold).toBe('auth')
      expect(held?.holdReason).toMatch(/refused the credentials.*Authorization Violation/i)
    }, 20_000)
    expect((await pipeline(target))?.counts.queued).toBe(2)

    // The operator gives the kiosk user the password Outpost has; nobody touches Outpost.
    await client.close()
    await server.stop()
    server.setConfig(users('new-password'))
    await server.start()
    const reconnected = await nats.reconnect({ maxReconnectAttempts: -1 })
    await eventually(async () => {
      const healed = await pipeline(target)
      expect(healed?.counts.sent).toBe(2)
      expect(healed?.hold).toBeNull()
    }, 30_000)
    const stored = await readStream(reconnected, 'OUTPOST')
    expect(stored.map((message) => message.headers['Outpost-Message-Id']).sort()).toEqual(
      events.map(messageIdOf).sort()
    )
  })

  it('publishes with a token, and holds without credentials on a server that requires them', async () => {
    const { server } = await nats.start({
      configText: 'authorization { token: "kiosk-token-1" }',
      credentials: { token: 'kiosk-token-1' }
    })
    outpost = await startOutpost(server.url, { auth: 'token' }, 'kiosk-token-1')
    expect((await outpost.post('/whisperr/v1/events/batch', { events: [whisperrEvent()] })).status).toBe(202)
    const withToken = outpost
    await eventually(async () => expect((await pipeline(withToken))?.counts.sent).toBe(1), 20_000)
    await outpost.close()

    // No key to name: the hold is probed like any other, and says what the server answered.
    outpost = await startOutpost(server.url, {})
    expect((await outpost.post('/whisperr/v1/events/batch', { events: [whisperrEvent()] })).status).toBe(202)
    const without = outpost
    await eventually(async () => {
      const held = await pipeline(without)
      expect(held?.hold).toBe('auth')
      expect(held?.holdReason).toMatch(/refused the credentials/)
      expect(held?.counts.queued).toBe(1)
    }, 20_000)
  })

  it('publishes with an NKey seed as its key', async () => {
    const user = nkeys.createUser()
    const seed = new TextDecoder().decode(user.getSeed())
    const { server } = await nats.start({
      configText: `authorization { users = [ { nkey: ${user.getPublicKey()} } ] }`,
      credentials: { authenticator: nkeyAuthenticator(user.getSeed()) }
    })
    outpost = await startOutpost(server.url, { auth: 'nkey' }, seed)
    expect((await outpost.post('/whisperr/v1/events/batch', { events: [whisperrEvent()] })).status).toBe(202)
    const target = outpost
    await eventually(async () => expect((await pipeline(target))?.counts.sent).toBe(1), 20_000)
  })

  it.skipIf(opensslMissing)(
    'publishes over TLS with a client certificate (CA, cert and key files)',
    async () => {
      const certificates = tempDir('outpost-nats-tls')
      try {
        const files = makeCertificates(certificates.path)
        const tls = { caFile: files.ca, certFile: files.clientCert, keyFile: files.clientKey }
        const { server } = await nats.start({
          configText: `tls { cert_file: "${files.serverCert}", key_file: "${files.serverKey}", ca_file: "${files.ca}", verify: true }`,
          credentials: { tls }
        })
        outpost = await startOutpost(server.url, { tls })
        expect((await outpost.post('/whisperr/v1/events/batch', { events: [whisperrEvent()] })).status).toBe(
          202
        )
        const target = outpost
        await eventually(async () => expect((await pipeline(target))?.counts.sent).toBe(1), 20_000)
      } finally {
        certificates.remove()
      }
    }
  )

  it('fails a message over max_payload alone and for good; the rest of its batch is delivered', async () => {
    const { server, client } = await nats.start()
    outpost = await startOutpost(server.url, {})
    const big = whisperrEvent({ properties: { blob: 'x'.repeat(1_200_000) } })
    const small = whisperrEvent()
    expect((await outpost.post('/whisperr/v1/events/batch', { events: [big, small] })).status).toBe(202)

    const target = outpost
    await eventually(async () => {
      const counts = (await pipeline(target))?.counts
      expect(counts?.sent).toBe(1)
      expect(counts?.failed).toBe(1)
    }, 20_000)
    const [failed] = (await target.api.listEvents({ destination: 'pipeline', status: 'failed' })).events
    expect(failed?.messageId).toBe(`whisperr:${messageIdOf(big)}`)
    expect(failed?.lastError).toMatch(/max_payload/)
    expect(failed?.attempts).toBe(1)
    // Failed is final until a person resends: the destination goes on delivering meanwhile.
    const later = whisperrEvent()
    expect((await outpost.post('/whisperr/v1/events/batch', { events: [later] })).status).toBe(202)
    await eventually(async () => expect((await pipeline(target))?.counts.sent).toBe(2), 20_000)
    const [stillFailed] = (await target.api.listEvents({ destination: 'pipeline', status: 'failed' })).events
    expect(stillFailed?.attempts).toBe(1)
    expect(
      (await readStream(client, 'OUTPOST')).map((message) => message.headers['Outpost-Message-Id'])
    ).toEqual([messageIdOf(small), messageIdOf(later)])
  })

  it('retries with backoff and shows why while no stream takes the subject, then delivers once it exists', async () => {
    const { server, client } = await nats.start({ outpostStream: false })
    outpost = await startOutpost(server.url, {})
    const event = whisperrEvent()
    expect((await outpost.post('/whisperr/v1/events/batch', { events: [event] })).status).toBe(202)
    const target = outpost
    await eventually(async () => {
      const waiting = await pipeline(target)
      expect(waiting?.hold).toBe('offline')
      expect(waiting?.holdReason).toMatch(/no JetStream stream takes subject outpost\./)
    }, 20_000)
    await addStream(client, 'OUTPOST', ['outpost.>'])
    await eventually(async () => expect((await pipeline(target))?.counts.sent).toBe(1), 20_000)
    expect(await readStream(client, 'OUTPOST')).toHaveLength(1)
  })
})
