// The search indexer's worker run from source (vitest runs src directly; electron-vite builds
// search-indexer-worker.ts into out/main): TypeScript loaded through reader-typescript-hooks.mjs.
import { register } from 'node:module'

register('./reader-typescript-hooks.mjs', import.meta.url)
await import('./search-indexer-worker.ts')
