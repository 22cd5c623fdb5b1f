import { homedir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { adminTokenProblem, LOGIN_CODE_TTL_MS } from './admin/auth'
import { checkConfig } from './check-config-command'
import {
  chooseConfigSource,
  CONFIG_ENV,
  describeConfigSource,
  loadConfigFrom,
  managedConfigPath
} from './config/provisioning'
import { startCollector, type Collector } from './collector'
import { runRecover } from './recover-command'
import { ignoreUnwritableLogs } from './unwritable-logs'

const USAGE = `Usage: outpost serve [--config FILE] [--data-dir DIR] [--host HOST] [--port PORT]
       outpost check-config [FILE]
       outpost recover [--data-dir DIR]

  --config FILE    JSON config (destinations, ingest, storage, sync, fleet). Without it:
                   ${CONFIG_ENV.json} (the config's JSON text), else ${CONFIG_ENV.file} (a
                   file path), else ${managedConfigPath()} when it exists, else one
                   destination per supported vendor, without keys (events are held
                   until a key is set in the console or the environment)
  --data-dir DIR   where the outbox and keys set in the console live (default: ${defaultDataDir()})
  --host HOST      address to listen on (default from config: 127.0.0.1)
  --port PORT      port to listen on; 0 picks a free one (default from config: 8787)

check-config: validates FILE (or, without it, the config serve would use) offline and
prints what it sets up; exits 1 when it is not valid. Nothing is started or written.

recover: when Outpost refuses to start because its outbox database is damaged. With
Outpost stopped, moves the damaged file aside (outbox.damaged-<time>.sqlite) and copies
every event SQLite can still read, with its status, into a new outbox.

Environment: OUTPOST_ADMIN_TOKEN (admin API token, at least 16 visible characters; generated
and printed when unset), the apiKeyEnv variables named in the config (e.g. WHISPERR_API_KEY).

The console: open the one-time login link printed at start. For another, POST /api/login-link
with Authorization: Bearer <admin token>, or enter the admin token in the console.`

/** Same place as the desktop app's userData folder, so both find the same outbox. */
export function defaultDataDir(): string {
  if (process.platform === 'win32') return join(process.env.APPDATA ?? homedir(), 'Outpost')
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'Outpost')
  return join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'Outpost')
}

function parsePort(text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  const port = Number(text)
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port must be 0..65535, got "${text}"`)
  return port
}

/** Reads OUTPOST_ADMIN_TOKEN; a weak one stops the start instead of guarding the API badly. */
function configuredAdminToken(): string | undefined {
  const token = process.env.OUTPOST_ADMIN_TOKEN || undefined
  const problem = token === undefined ? null : adminTokenProblem(token)
  if (problem) throw new Error(problem)
  return token
}

/** How a person reaches the console and a script the API; a token from the environment is not echoed. */
function printAdminAccess(collector: Collector, tokenFromEnvironment: boolean): void {
  if (collector.consoleServed) {
    const minutes = LOGIN_CODE_TTL_MS / 60_000
    console.log(`Console: ${collector.loginLink()} (one-time login link, valid ${minutes} minutes)`)
    console.log(
      `  another link: POST ${collector.url}/api/login-link with Authorization: Bearer <admin token>, or enter the token in the console`
    )
  } else console.log('Console not built (run npm run build); the admin API answers under /api')
  console.log(
    tokenFromEnvironment
      ? 'Admin API token: the value of OUTPOST_ADMIN_TOKEN'
      : `Admin API token: ${collector.adminToken} (generated for this run; set OUTPOST_ADMIN_TOKEN to keep one)`
  )
}

export async function main(argv: string[], paths: { rendererDir: string }): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      'data-dir': { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      help: { type: 'boolean', short: 'h' }
    }
  })
  const command = positionals[0]
  if (values.help || (command !== 'serve' && command !== 'recover' && command !== 'check-config')) {
    console.log(USAGE)
    if (!values.help) process.exitCode = 2
    return
  }
  ignoreUnwritableLogs()
  if (command === 'recover') {
    runRecover(values['data-dir'] ?? defaultDataDir())
    return
  }
  const sourceOptions = { env: process.env, managedFile: managedConfigPath() }
  if (command === 'check-config') {
    const check = checkConfig({ ...sourceOptions, flag: positionals[1] ?? values.config })
    for (const line of check.lines) (check.ok ? console.log : console.error)(line)
    process.exitCode = check.ok ? 0 : 1
    return
  }
  const source = chooseConfigSource({ ...sourceOptions, flag: values.config })
  const adminToken = configuredAdminToken()
  const config = loadConfigFrom(source, process.env)
  const dataDir = values['data-dir'] ?? defaultDataDir()
  const collector = await startCollector({
    config,
    dataDir,
    host: values.host,
    port: parsePort(values.port),
    adminToken,
    rendererDir: paths.rendererDir
  })
  console.log(`Outpost collector listening on ${collector.url} (data: ${dataDir})`)
  console.log(`Config: ${describeConfigSource(source)}; device ${config.fleet.deviceId}`)
  for (const destination of config.destinations) {
    // A NATS destination has no URL: it publishes what the routes it is fed by accept.
    const where = destination.feeds
      ? `fed by ${destination.feeds.join(', ')}`
      : `${collector.url}/${destination.id}`
    console.log(`  ${destination.vendor.padEnd(12)} ${where}`)
  }
  printAdminAccess(collector, adminToken !== undefined)

  let stopping = false
  const shutdown = (signal: string) => {
    if (stopping) return
    stopping = true
    console.log(`Outpost: ${signal}, shutting down`)
    collector.close().then(
      () => process.exit(0),
      (error: Error) => {
        console.error(`outpost: shutdown failed: ${error.message}`)
        process.exit(1)
      }
    )
  }
  process.on('SIGINT', () => shutdown('SIGINT'))
  process.on('SIGTERM', () => shutdown('SIGTERM'))
}
