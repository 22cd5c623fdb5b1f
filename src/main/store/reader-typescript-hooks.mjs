// Module hooks that let a plain Node thread or process load TypeScript as electron-vite would:
// types erased (`tsc` checks them), extensionless relative imports, and the `@shared/` alias.
// Vitest transforms TypeScript only inside its own workers; two things run outside them: the
// reader's worker run from source (reader-worker-source.mjs) and the benchmarks' peer process
// (bench/support/peer-launcher.mjs).
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import ts from 'typescript'

const SHARED = new URL('../../shared/', import.meta.url)

const compilerOptions = {
  module: ts.ModuleKind.ESNext,
  target: ts.ScriptTarget.ES2022,
  isolatedModules: true,
  sourceMap: false
}

/** `./x` for x.ts or x/index.ts, as TypeScript's bundler resolution allows; `@shared/x` for src/shared/x. */
export async function resolve(specifier, context, nextResolve) {
  const fromTypeScript = context.parentURL?.endsWith('.ts') ?? false
  if (!fromTypeScript) return nextResolve(specifier, context)
  const target = specifier.startsWith('@shared/')
    ? new URL(specifier.slice('@shared/'.length), SHARED).href
    : specifier
  const relativeOrFile = /^(\.{1,2}\/|file:)/.test(target)
  if (!relativeOrFile || /\.[cm]?[jt]s$/.test(target)) return nextResolve(target, context)
  const file = `${target}.ts`
  return nextResolve(existsSync(new URL(file, context.parentURL)) ? file : `${target}/index.ts`, context)
}

export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return nextLoad(url, context)
  const source = await readFile(new URL(url), 'utf8')
  const { outputText } = ts.transpileModule(source, { compilerOptions, fileName: url })
  return { format: 'module', source: outputText, shortCircuit: true }
}
