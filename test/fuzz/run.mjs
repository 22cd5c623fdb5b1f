// `npm run fuzz`: the fuzzer with a few thousand requests (OUTPOST_FUZZ_REQUESTS, default 4000)
// and a seed (OUTPOST_FUZZ_SEED, default 1), through the same build and runtime as `npm test`.
process.env.OUTPOST_FUZZ_REQUESTS ??= '4000'
process.argv.push('test/fuzz')
await import('../run.mjs')
