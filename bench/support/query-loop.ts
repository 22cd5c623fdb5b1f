import { createHttpClient } from '../../src/shared/http-client'
import type { QueryLoopPlan, QueryLoopReport } from './peer-protocol'
import { percentile } from '../../test/support/measurements'

/**
 * Runs `work` while a person's UI keeps re-reading its heaviest lists: `plan.queries` in turn,
 * each sent when the previous one is answered, through the admin API over HTTP (as the console
 * does), until `work` ends or `plan.durationMs` has passed. Fails when a query fails: a load
 * measured beside failing queries would prove nothing.
 */
export async function whileQuerying<T>(
  plan: QueryLoopPlan,
  work: () => Promise<T>
): Promise<{ result: T; queryLoop: QueryLoopReport }> {
  const api = createHttpClient({ baseUrl: plan.origin, token: plan.token })
  const latenciesMs: number[] = []
  let stopped = false
  const stopAt = performance.now() + plan.durationMs
  const loop = (async () => {
    for (let index = 0; !stopped && performance.now() < stopAt; index++) {
      const started = performance.now()
      await api.listEvents(plan.queries[index % plan.queries.length] ?? {})
      latenciesMs.push(performance.now() - started)
    }
  })()
  try {
    const result = await work()
    stopped = true
    await loop
    return {
      result,
      queryLoop: {
        queries: latenciesMs.length,
        p50Ms: percentile(latenciesMs, 0.5),
        maxMs: Math.max(0, ...latenciesMs)
      }
    }
  } finally {
    stopped = true
    await loop.catch(() => {})
  }
}
