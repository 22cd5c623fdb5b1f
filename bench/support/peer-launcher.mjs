// Entry of the benchmarks' peer process: teaches Node to load the bench's TypeScript, then runs
// peer-main.ts. Plain JavaScript because it runs before any TypeScript can be loaded.
import { register } from 'node:module'

register('./ts-loader.mjs', import.meta.url)
await import('./peer-main.ts')
