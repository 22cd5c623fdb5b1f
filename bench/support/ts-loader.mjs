// Module hooks that let a plain Node child process run the bench's TypeScript files: vitest
// transforms TypeScript only inside its own workers, and the bench's peer process (load generator,
// mock upstream) must run outside them, on the machine's other core. Types are only erased here;
// `npx tsc` checks them.
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import ts from 'typescript'

const compilerOptions = {
  module: ts.ModuleKind.ESNext,
  target: ts.ScriptTarget.ES2022,
  isolatedModules: true,
  sourceMap: false
}

/** Extensionless relative imports (`./x` for x.ts or x/index.ts), as TypeScript's bundler resolution allows. */
export async function resolve(specifier, context, nextResolve) {
  const fromTypeScript = context.parentURL?.endsWith('.ts') ?? false
  const relativeWithoutExtension = /^\.{1,2}\//.test(specifier) && !/\.[cm]?[jt]s$/.test(specifier)
  if (!fromTypeScript || !relativeWithoutExtension) return nextResolve(specifier, context)
  const file = `${specifier}.ts`
  const exists = existsSync(new URL(file, context.parentURL))
  return nextResolve(exists ? file : `${specifier}/index.ts`, context)
}

export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return nextLoad(url, context)
  const source = await readFile(new URL(url), 'utf8')
  const { outputText } = ts.transpileModule(source, { compilerOptions, fileName: url })
  return { format: 'module', source: outputText, shortCircuit: true }
}
