import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { EventQuery } from '../../src/shared/model'
import { openStore, type Store } from '../../src/main/store'
import { createQueries } from '../../src/main/store/queries'
import { tempDir } from '../support/temp'

/** Every parameter a store statement may name, unbound: EXPLAIN QUERY PLAN needs none of their values. */
function unboundParameters(sql: string): unknown[] {
  const named = [...sql.matchAll(/@(\w+)/g)].map((match) => match[1] as string)
  if (named.length > 0) return [Object.fromEntries(named.map((name) => [name, null]))]
  return Array<null>((sql.match(/\?/g) ?? []).length).fill(null)
}

function planOf(db: Database.Database, sql: string): string[] {
  const rows = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...unboundParameters(sql)) as { detail: string }[]
  return rows.map((row) => row.detail)
}

/** Runs `read` with `db.prepare` recorded: the SQL of the statements it prepared, in order. */
function preparedBy(db: Database.Database, read: () => void): string[] {
  const prepared: string[] = []
  const prepare = db.prepare.bind(db)
  db.prepare = ((sql: string) => {
    prepared.push(sql)
    return prepare(sql)
  }) as typeof db.prepare
  try {
    read()
  } finally {
    delete (db as { prepare?: unknown }).prepare
  }
  return prepared
}

const FILTERS: (keyof EventQuery)[] = ['destination', 'status', 'search', 'attemptId', 'beforeId']
/** The outbox of the test holds this many queued events and no failed one. */
const QUEUED = 50

/**
 * Every combination of the UI's filters (Filters.tsx, paging with beforeId), each status as one
 * holding every event (queued) and as one holding none (failed).
 */
function everyFilterCombination(): EventQuery[] {
  const combinations = Array.from({ length: 1 << FILTERS.length }, (_, mask) =>
    FILTERS.filter((_, bit) => mask & (1 << bit))
  )
  return combinations.flatMap((filters) =>
    (filters.includes('status') ? (['queued', 'failed'] as const) : [undefined]).map((status) => ({
      ...(filters.includes('destination') ? { destination: 'whisperr' } : {}),
      ...(status ? { status } : {}),
      ...(filters.includes('search') ? { search: 'alice' } : {}),
      ...(filters.includes('attemptId') ? { attemptId: 7 } : {}),
      ...(filters.includes('beforeId') ? { beforeId: 100 } : {})
    }))
  )
}

/** The index that must lead a query's plan (queries.ts, listRanges). */
function leadingIndex(query: EventQuery): RegExp {
  if (query.attemptId !== undefined)
    return /SEARCH attempt_events USING COVERING INDEX attempt_events_attempt \(attempt_id=\?\)/
  // A search reads the rows of a status that holds few events, else the narrow index.
  if (query.search && query.status !== 'failed')
    return /(SCAN|SEARCH) outbox USING (COVERING )?INDEX outbox_search_scan/
  if (query.destination !== undefined || query.status !== undefined)
    return /SEARCH outbox USING (COVERING )?INDEX outbox_status \(status=\?/
  return /outbox_search_scan|INTEGER PRIMARY KEY/
}

describe("the list's statements", () => {
  let dir: ReturnType<typeof tempDir>
  let store: Store

  beforeEach(() => {
    dir = tempDir()
    store = openStore(`${dir.path}/outbox.sqlite`)
  })
  afterEach(() => {
    store.close()
    dir.remove()
  })

  it('read every filter combination newest first through its index, never sorting or scanning the rows', () => {
    store.outbox.enqueueEvents(
      [
        Array.from({ length: QUEUED }, (_, index) => ({
          destination: 'whisperr',
          messageId: `m${index}`,
          kind: 'track' as const,
          name: 'trial_started',
          userKey: 'bob',
          occurredAt: null,
          payload: '{}',
          upstreamParams: null
        }))
      ],
      0
    )
    for (const query of everyFilterCombination()) {
      const queries = createQueries(store.db)
      const [sql] = preparedBy(store.db, () => queries.listEvents(query)).slice(-1)
      const plan = planOf(store.db, sql!)
      const described = `${JSON.stringify(query)}: ${plan.join(' | ')}`
      expect(plan.join(' | '), described).toMatch(leadingIndex(query))
      // The rows themselves are never scanned, nor any index but the search's narrow one.
      const scans = plan.filter((step) => /^SCAN outbox\b/.test(step))
      expect(
        scans.filter((step) => !step.includes('INDEX outbox_search_scan')),
        described
      ).toEqual([])
      // Sorting is allowed only over what is bounded: one request's events, one message id per destination.
      if (plan.some((step) => step.includes('TEMP B-TREE')))
        expect(query.attemptId !== undefined || Boolean(query.search), described).toBe(true)
    }
  })

  it("leave every other statement of the store on the plan it had without the list's indexes", () => {
    store.close()
    const file = `${dir.path}/other.sqlite`
    const prepared = new Set<string>()
    const prepare = Database.prototype.prepare
    Database.prototype.prepare = function (this: Database.Database, sql: string) {
      prepared.add(sql)
      return prepare.call(this, sql)
    } as typeof prepare
    try {
      store = openStore(file)
    } finally {
      Database.prototype.prepare = prepare
    }
    const statements = [...prepared].filter((sql) => /\b(SELECT|UPDATE|DELETE|INSERT)\b/i.test(sql))
    expect(statements.length).toBeGreaterThan(20)
    // Where two indexes do the same work, which one SQLite takes does not matter: min(id) or
    // max(id) is one seek to the end of the table's B-tree or of outbox_search_scan; one status's
    // range is read alike through any covering index that starts with the status.
    const sameWork = (step: string) =>
      step
        .replace(/ USING COVERING INDEX outbox_search_scan$/, '')
        .replace(/USING COVERING INDEX \w+ \(status=\?\)$/, 'USING COVERING INDEX (status first) (status=?)')
    const plans = () => statements.map((sql) => planOf(store.db, sql).map(sameWork))
    const withListIndexes = plans()
    store.db.exec(`DROP INDEX outbox_search_scan; DROP INDEX outbox_status;
      CREATE INDEX outbox_status ON outbox (status, id)`)
    expect(withListIndexes).toEqual(plans())
  })
})
