// Entry of the benchmarks' peer process: teaches Node to load the bench's TypeScript (with the
// same module hooks as the reader's worker run from source), then runs peer-main.ts. Plain
// JavaScript because it runs before any TypeScript can be loaded.
import { register } from 'node:module'

register('../../src/main/store/reader-typescript-hooks.mjs', import.meta.url)
await import('./peer-main.ts')
