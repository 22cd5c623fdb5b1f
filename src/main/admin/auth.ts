import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

/**
 * Who may use the admin API: a holder of the admin token (scripts, tests: `Authorization: Bearer`)
 * or a browser holding a console session (an HttpOnly cookie). A person gets a session from a
 * one-time login link, or by giving the token once to the console, which trades it for the
 * cookie; the token itself is never put in a URL, so browser history and session files keep no
 * usable secret. Sessions and codes live in memory: a restart signs every console out.
 */

export const MIN_ADMIN_TOKEN_LENGTH = 16
/** How long a login link works, once. */
export const LOGIN_CODE_TTL_MS = 10 * 60_000
/** Enough for every browser a support team opens; the oldest session goes first beyond it. */
const MAX_SESSIONS = 100
const MAX_PENDING_CODES = 100

export interface AdminAuth {
  tokenMatches(presented: string): boolean
  /** A fresh one-time login link to the console. */
  loginLink(): string
  /** Spends a login code: the new session's secret, or null for an unknown, used or expired code. */
  redeemLoginCode(code: string): string | null
  /** Opens a session for a caller that proved the token; returns its secret. */
  openSession(): string
  isSession(secret: string): boolean
}

export interface AdminAuthOptions {
  token: string
  now: () => number
  /** The collector's URL, known once it listens. */
  baseUrl: () => string
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest()
}

/** Compares digests of equal length, so neither the time taken nor an early exit tells the length. */
export function sameSecret(presented: string, expected: string): boolean {
  return timingSafeEqual(sha256(presented), sha256(expected))
}

function newSecret(bytes: number): string {
  return randomBytes(bytes).toString('base64url')
}

/** Why a token given in OUTPOST_ADMIN_TOKEN cannot be used, or null when it can. */
export function adminTokenProblem(token: string): string | null {
  if (token.length < MIN_ADMIN_TOKEN_LENGTH)
    return `OUTPOST_ADMIN_TOKEN is ${token.length} characters long; use at least ${MIN_ADMIN_TOKEN_LENGTH} (e.g. openssl rand -hex 24), or leave it unset to have one generated`
  // It travels in an Authorization header, which cannot carry spaces at its ends or control bytes.
  if (!/^[\x21-\x7e]+$/.test(token))
    return 'OUTPOST_ADMIN_TOKEN may hold only visible ASCII characters (no spaces), as it is sent in an Authorization header'
  return null
}

/** Keeps at most `max` entries of an insertion-ordered set or map, dropping the oldest. */
function dropOldest(entries: Set<string> | Map<string, unknown>, max: number): void {
  for (const key of entries.keys()) {
    if (entries.size <= max) return
    entries.delete(key)
  }
}

export function createAdminAuth(options: AdminAuthOptions): AdminAuth {
  // Keyed by digest: a lookup by the secret's digest tells an attacker nothing about the secret.
  const codeExpiries = new Map<string, number>()
  const sessions = new Set<string>()
  const digest = (secret: string) => sha256(secret).toString('hex')

  function openSession(): string {
    const secret = newSecret(32)
    sessions.add(digest(secret))
    dropOldest(sessions, MAX_SESSIONS)
    return secret
  }

  return {
    tokenMatches: (presented) => sameSecret(presented, options.token),
    loginLink() {
      const now = options.now()
      for (const [code, expiresAt] of codeExpiries) if (expiresAt <= now) codeExpiries.delete(code)
      const code = newSecret(24)
      codeExpiries.set(digest(code), now + LOGIN_CODE_TTL_MS)
      dropOldest(codeExpiries, MAX_PENDING_CODES)
      return `${options.baseUrl()}/login?code=${code}`
    },
    redeemLoginCode(code) {
      const key = digest(code)
      const expiresAt = codeExpiries.get(key)
      codeExpiries.delete(key)
      if (expiresAt === undefined || expiresAt <= options.now()) return null
      return openSession()
    },
    openSession,
    isSession: (secret) => sessions.has(digest(secret))
  }
}
