import { existsSync } from 'node:fs'
import { join } from 'node:path'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance } from 'fastify'
import { RENDERER_CSP } from '../renderer-csp'

/** Serves the renderer build at `/`: the same React UI as the app, over the HTTP transport. */
export async function registerConsole(app: FastifyInstance, rendererDir: string | null): Promise<boolean> {
  if (!rendererDir || !existsSync(join(rendererDir, 'index.html'))) return false
  await app.register(fastifyStatic, {
    root: rendererDir,
    prefix: '/',
    index: 'index.html',
    setHeaders: (res) => {
      res.header('content-security-policy', RENDERER_CSP)
      res.header('x-content-type-options', 'nosniff')
      res.header('referrer-policy', 'no-referrer')
    }
  })
  return true
}
