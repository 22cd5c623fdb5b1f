import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import type { EventQuery } from '../../src/shared/model'
import { openStore } from '../../src/main/store'
import { createQueries } from '../../src/main/store/queries'
import { openSearchIndexWriter, searchIndexFileOf } from '../../src/main/store/search-index'
import { useTempStore } from '../support/temp-store'
import { newEvent } from '../support/outbox-events'

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

type Filter = 'destination' | 'status' | 'search' | 'attemptId' | 'beforeId' | 'time' | 'name' | 'user'
const FILTERS: Filter[] = ['destination', 'status', 'search', 'attemptId', 'beforeId', 'time', 'name', 'user']
/** The outbox of the test holds this many queued events and no failed one. */
const QUEUED = 50
const RECEIVED_AT = 5_000

/**
 * Every combination of the UI's filters (Filters.tsx, paging with beforeId), each status as one
 * holding every event (queued) and as one holding none (failed), each search as one the trigram
 * index answers (three characters or more) and as one it cannot.
 */
function everyFilterCombination(): EventQuery[] {
  const combinations = Array.from({ length: 1 << FILTERS.length }, (_, mask) =>
    FILTERS.filter((_, bit) => mask & (1 << bit))
  )
  const variants = <T>(on: boolean, values: T[]): (T | undefined)[] => (on ? values : [undefined])
  return combinations.flatMap((filters) =>
    variants(filters.includes('status'), ['queued', 'failed'] as const).flatMap((status) =>
      variants(filters.includes('search'), ['alice', 'al']).map((search) => ({
        ...(filters.includes('destination') ? { destination: 'whisperr' } : {}),
        ...(status ? { status } : {}),
        ...(search ? { search } : {}),
        ...(filters.includes('attemptId') ? { attemptId: 7 } : {}),
        ...(filters.includes('name') ? { name: 'trial_started' } : {}),
        ...(filters.includes('user') ? { user: 'bob' } : {}),
        ...(filters.includes('beforeId') ? { beforeId: 40 } : {}),
        ...(filters.includes('time')
          ? {
              receivedFrom: new Date(RECEIVED_AT).toISOString(),
              receivedTo: new Date(RECEIVED_AT + 1).toISOString()
            }
          : {})
      }))
    )
  )
}

/** Which of the list's statements (event-list.ts) a statement is. */
function kindOf(sql: string): 'index' | 'edited' | 'searched' | 'filtered' {
  if (/search\.event_text_\d+/.test(sql)) return 'index'
  if (sql.includes('id IN (SELECT value FROM json_each(@edited))')) return 'edited'
  if (sql.includes('event_matches')) return 'searched'
  return 'filtered'
}

/** The plan a list statement must lead with: the index meant for its filters (event-list.ts). */
function leadingStep(query: EventQuery, sql: string): RegExp {
  if (query.attemptId !== undefined)
    return /SEARCH attempt_events USING COVERING INDEX attempt_events_attempt \(attempt_id=\?\)/
  switch (kindOf(sql)) {
    case 'index':
      // The trigram index's part, newest first, then each event by its id.
      return /^SCAN search\.event_text_\d+ VIRTUAL TABLE INDEX \d+:M\d+><.*SEARCH outbox USING INTEGER PRIMARY KEY \(rowid=\?\)/
    case 'edited':
      return /SEARCH outbox USING INTEGER PRIMARY KEY \(rowid=\?\)/
    default: {
      // A name's events through its own index, newest first; but a name with a status holding
      // hardly any event (failed, here) reads that status's range. A user key is searched for.
      if (query.name !== undefined && query.status !== 'failed')
        return /SEARCH outbox USING (COVERING )?INDEX outbox_name \(name=\? AND id>\? AND id<\?\)/
      // A search read event by event takes the status's range; the list without one, a destination's too.
      const byStatus =
        query.status !== undefined || (kindOf(sql) === 'filtered' && query.destination !== undefined)
      if (byStatus)
        return /SEARCH outbox USING (COVERING )?INDEX outbox_status \(status=\? AND id>\? AND id<\?\)/
      return /SEARCH outbox USING (INTEGER PRIMARY KEY \(rowid>\? AND rowid<\?\)|COVERING INDEX outbox_search_scan \(id>\? AND id<\?\))/
    }
  }
}

describe("the list's statements", () => {
  const temp = useTempStore()

  it('read every filter combination newest first through its index, never sorting or scanning the rows', () => {
    const file = `${temp.folder}/outbox.sqlite`
    temp.store.outbox.enqueueEvents(
      [Array.from({ length: QUEUED }, (_, index) => newEvent(`m${index}`, { userKey: 'bob' }))],
      RECEIVED_AT
    )
    // Indexed, then one event the index has not reached and one edit it has not read: a search
    // reads all three ways.
    const writer = openSearchIndexWriter(file)
    while (writer.step() !== 'idle');
    temp.store.outbox.enqueueEvents([[newEvent('late')]], RECEIVED_AT)
    temp.store.corrections.editPayload(
      1,
      { payload: '{"edited":true}', name: 'trial_started', userKey: 'bob', occurredAt: null },
      { actor: 'test', at: 1 }
    )
    const kinds = new Set<string>()
    try {
      for (const query of everyFilterCombination()) {
        // A reader's connection, as the reader worker opens it, with the index attached.
        const reader = new Database(file, { readonly: true })
        const queries = createQueries(reader, { searchIndexFile: searchIndexFileOf(file) })
        const statements = preparedBy(reader, () => {
          queries.listEvents(query)
          queries.countEvents(query)
        }).filter(
          (sql) => /\bFROM (outbox|search\.event_text)/.test(sql) && !/max\(id\)|received_at FROM/.test(sql)
        )
        expect(statements.length, JSON.stringify(query)).toBeGreaterThan(0)
        for (const sql of statements) {
          kinds.add(kindOf(sql))
          const plan = planOf(reader, sql)
          const described = `${JSON.stringify(query)}: ${sql.replace(/\s+/g, ' ')}\n  ${plan.join(' | ')}`
          expect(plan.join(' | '), described).toMatch(leadingStep(query, sql))
          // The rows themselves are never scanned.
          expect(
            plan.filter((step) => /^SCAN outbox\b/.test(step)),
            described
          ).toEqual([])
          // Sorting only what is bounded: one request's events, or the edits the index has not read.
          if (plan.some((step) => /TEMP B-TREE FOR (ORDER BY|RIGHT PART OF ORDER BY)/.test(step)))
            expect(query.attemptId !== undefined || kindOf(sql) === 'edited', described).toBe(true)
        }
        reader.close()
      }
    } finally {
      writer.close()
    }
    expect([...kinds].sort()).toEqual(['edited', 'filtered', 'index', 'searched'])
  })

  it('keep no index led by user keys: its entry at a random place of a large B-tree doubled ingest per event', () => {
    const indexes = temp.store.db
      .prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'outbox'`)
      .pluck()
      .all() as string[]
    const ledByUserKey = indexes.filter((name) => {
      const [first] = temp.store.db.pragma(`index_info(${name})`) as { name: string }[]
      return first?.name === 'user_key'
    })
    expect(indexes).toContain('outbox_name')
    expect(ledByUserKey).toEqual([])
  })

  it('read the distinct event names one seek of outbox_name each, never scanning the rows', () => {
    const names = ['signup', 'trial_started', 'signup', 'checkout', 'trial_started']
    temp.store.outbox.enqueueEvents(
      [names.map((name, index) => newEvent(`n${index}`, { name }))],
      RECEIVED_AT
    )
    const statements = preparedBy(temp.store.db, () => {
      expect(createQueries(temp.store.db).eventNames(500)).toEqual(['checkout', 'signup', 'trial_started'])
      expect(createQueries(temp.store.db).eventNames(2)).toEqual(['checkout', 'signup'])
    }).filter((sql) => sql.includes('RECURSIVE names'))
    expect(statements.length).toBeGreaterThan(0)
    for (const sql of statements) {
      const plan = planOf(temp.store.db, sql)
      expect(plan).toContain('SEARCH outbox USING COVERING INDEX outbox_name (name>?)')
      expect(plan.filter((step) => /^SCAN outbox\b/.test(step))).toEqual([])
    }
  })

  it("leave every other statement of the store on the plan it had without the list's indexes (migrations 8 and 13)", () => {
    const prepared = new Set<string>()
    const prepare = Database.prototype.prepare
    Database.prototype.prepare = function (this: Database.Database, sql: string) {
      prepared.add(sql)
      return prepare.call(this, sql)
    } as typeof prepare
    try {
      temp.replace((folder) => openStore(`${folder}/other.sqlite`))
    } finally {
      Database.prototype.prepare = prepare
    }
    // The name filter's suggestions are the list's own (tested above): a skip-scan of outbox_name.
    const statements = [...prepared].filter(
      (sql) => /\b(SELECT|UPDATE|DELETE|INSERT)\b/i.test(sql) && !sql.includes('RECURSIVE names')
    )
    expect(statements.length).toBeGreaterThan(20)
    // Where two indexes do the same work, which one SQLite takes does not matter: min(id) or
    // max(id) is one seek to the end of the table's B-tree or of outbox_search_scan; one status's
    // range is read alike through any covering index that starts with the status.
    const sameWork = (step: string) =>
      step
        .replace(/ USING COVERING INDEX outbox_search_scan$/, '')
        .replace(/USING COVERING INDEX \w+ \(status=\?\)$/, 'USING COVERING INDEX (status first) (status=?)')
    const plans = () => statements.map((sql) => planOf(temp.store.db, sql).map(sameWork))
    const withListIndexes = plans()
    temp.store.db.exec(`DROP INDEX outbox_search_scan; DROP INDEX outbox_status; DROP INDEX outbox_name;
      CREATE INDEX outbox_status ON outbox (status, id)`)
    expect(withListIndexes).toEqual(plans())
  })
})
