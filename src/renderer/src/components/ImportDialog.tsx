import { useRef, useState } from 'react'
import type { DestinationSummary, ImportProgress, ImportSummary, UnmatchedDestination } from '@shared/model'
import { describeError, importEvents, importPicksFileInPage } from '../api'
import { formatCount } from '../format'
import { useOutpost } from '../store'

type ImportState =
  | { phase: 'ready' }
  | { phase: 'running'; progress: ImportProgress | null }
  | { phase: 'done'; summary: ImportSummary }
  | { phase: 'failed'; message: string }

/** The same empty list every time: a new one would make the store's subscription render again. */
const NO_DESTINATIONS: DestinationSummary[] = []

/** A file's destination id -> one of this collector's, as the person chose them so far. */
type Mapping = Record<string, string>

const WHAT_IT_DOES =
  "Takes the events of another Outpost's NDJSON export (Export → NDJSON) and queues them here, each for the destination of the same id. An event already here is not taken twice; events delivered or discarded there are skipped."

const plural = (count: number, word: string) => `${formatCount(count)} ${word}${count === 1 ? '' : 's'}`

function ProgressReport({ progress, upload }: { progress: ImportProgress | null; upload: boolean }) {
  if (progress === null) {
    return (
      <div className="import-progress">
        <progress aria-label="Import progress" />
        <p role="status" data-testid="import-progress">
          {upload ? 'Sending the file to the collector…' : 'Opening the file…'}
        </p>
      </div>
    )
  }
  const percent = progress.totalBytes === 0 ? 100 : Math.floor((100 * progress.bytes) / progress.totalBytes)
  return (
    <div className="import-progress">
      <progress aria-label="Import progress" max={progress.totalBytes} value={progress.bytes} />
      <p role="status" data-testid="import-progress">
        {percent}% read: {plural(progress.lines, 'line')}, {formatCount(progress.imported)} imported,{' '}
        {formatCount(progress.duplicates)} already here, {formatCount(progress.refused)} refused
      </p>
    </div>
  )
}

function Counts({ summary }: { summary: ImportSummary }) {
  const rows: [string, number, string][] = [
    ['imported', summary.imported, 'Imported'],
    ['duplicates', summary.duplicates, 'Already here'],
    ['delivered', summary.delivered, 'Delivered there, skipped'],
    ['discarded', summary.discarded, 'Discarded there, skipped'],
    ['refused', summary.refused, 'Refused']
  ]
  return (
    <dl className="import-counts" data-testid="import-counts">
      {rows.map(([key, count, meaning]) => (
        <div key={key} className="import-count" data-testid={`import-count-${key}`}>
          <dt>{meaning}</dt>
          <dd>{formatCount(count)}</dd>
        </div>
      ))}
    </dl>
  )
}

function Problems({ summary }: { summary: ImportSummary }) {
  if (summary.problems.length === 0) return null
  return (
    <section className="import-section" aria-labelledby="import-problems-title">
      <h3 id="import-problems-title">Refused lines</h3>
      <ul className="import-problems" data-testid="import-problems">
        {summary.problems.map((problem) => (
          <li key={problem.line} data-testid="import-problem">
            <strong>Line {formatCount(problem.line)}</strong> {problem.reason}
          </li>
        ))}
      </ul>
      {summary.unlistedProblems > 0 && (
        <p className="muted">and {plural(summary.unlistedProblems, 'more refused line')}</p>
      )}
    </section>
  )
}

/** For each destination of the file this collector lacks: where its events may go instead. */
function MappingForm({
  unmatched,
  mapping,
  onChange,
  onImport
}: {
  unmatched: UnmatchedDestination[]
  mapping: Mapping
  onChange(mapping: Mapping): void
  onImport(): void
}) {
  const destinations = useOutpost((state) => state.stats?.destinations ?? NO_DESTINATIONS)
  const fitting = (entry: UnmatchedDestination): DestinationSummary[] =>
    destinations.filter((destination) => entry.vendor === null || destination.vendor === entry.vendor)
  const chosen = unmatched.some((entry) => mapping[entry.destination])
  return (
    <section className="import-section" aria-labelledby="import-mapping-title">
      <h3 id="import-mapping-title">Destinations this collector does not have</h3>
      <p className="muted">
        Choose where their events go, then import the file again: what was imported is not taken twice.
      </p>
      {unmatched.map((entry, index) => (
        <div key={entry.destination} className="import-mapping" data-testid="import-mapping">
          <label htmlFor={`import-map-${index}`}>
            Destination here for “{entry.destination}” ({entry.vendor ?? 'vendor not named'},{' '}
            {plural(entry.events, 'event')})
          </label>
          <select
            id={`import-map-${index}`}
            className="input"
            data-testid={`import-map-${entry.destination}`}
            value={mapping[entry.destination] ?? ''}
            onChange={(change) => onChange({ ...mapping, [entry.destination]: change.target.value })}
          >
            <option value="">
              {fitting(entry).length === 0 ? 'no destination of that vendor here' : 'choose…'}
            </option>
            {fitting(entry).map((destination) => (
              <option key={destination.id} value={destination.id}>
                {destination.id}
              </option>
            ))}
          </select>
        </div>
      ))}
      <button
        type="button"
        className="button"
        data-testid="import-again"
        disabled={!chosen}
        onClick={onImport}
      >
        Import again with these destinations
      </button>
    </section>
  )
}

function Summary({ summary }: { summary: ImportSummary }) {
  return (
    <>
      <p role="status" data-testid="import-summary">
        Imported {formatCount(summary.imported)} of {plural(summary.lines, 'line')}.
      </p>
      {summary.stopped && (
        <p role="alert" className="text-error" data-testid="import-stopped">
          Stopped at line {formatCount(summary.stopped.line)}: {summary.stopped.reason}
        </p>
      )}
      <Counts summary={summary} />
      <Problems summary={summary} />
    </>
  )
}

/** What the dialog holds: the file, the run's progress or summary, the mapping of missing destinations. */
function ImportPanel({ onClose }: { onClose(): void }) {
  const picksFile = importPicksFileInPage()
  const [file, setFile] = useState<File | null>(null)
  const [state, setState] = useState<ImportState>({ phase: 'ready' })
  const [mapping, setMapping] = useState<Mapping>({})
  const running = state.phase === 'running'

  const run = async () => {
    setState({ phase: 'running', progress: null })
    const destinations = Object.fromEntries(Object.entries(mapping).filter(([, to]) => to !== ''))
    try {
      const summary = await importEvents(file, { destinations }, (progress) =>
        setState({ phase: 'running', progress })
      )
      setState(summary === null ? { phase: 'ready' } : { phase: 'done', summary })
    } catch (error) {
      setState({ phase: 'failed', message: describeError(error) })
    }
  }

  return (
    <div className="dialog-body">
      <h2 id="import-title" className="dialog-title">
        Import events
      </h2>
      <p className="muted">{WHAT_IT_DOES}</p>
      {picksFile && (
        <div className="import-file">
          <label htmlFor="import-file">Export file (NDJSON)</label>
          <input
            id="import-file"
            type="file"
            accept=".ndjson,.jsonl,application/x-ndjson"
            data-testid="import-file"
            disabled={running}
            onChange={(change) => {
              setFile(change.target.files?.[0] ?? null)
              setMapping({})
              setState({ phase: 'ready' })
            }}
          />
        </div>
      )}
      {state.phase === 'running' && <ProgressReport progress={state.progress} upload={picksFile} />}
      {state.phase === 'failed' && (
        <p role="alert" className="text-error" data-testid="import-failed">
          The import failed: {state.message}
        </p>
      )}
      {state.phase === 'done' && <Summary summary={state.summary} />}
      {state.phase === 'done' && state.summary.unmatched.length > 0 && (
        <MappingForm
          unmatched={state.summary.unmatched}
          mapping={mapping}
          onChange={setMapping}
          onImport={() => void run()}
        />
      )}
      <div className="dialog-actions">
        <button
          type="button"
          className="button button-primary"
          data-testid="import-start"
          disabled={running || (picksFile && file === null)}
          onClick={() => void run()}
        >
          {picksFile ? 'Import' : 'Choose a file and import'}
        </button>
        <button type="button" className="button" data-testid="import-close" onClick={onClose}>
          Close
        </button>
        {running && <span className="muted">Closing this leaves the import running.</span>}
      </div>
    </div>
  )
}

/** The top bar's Import: a dialog that imports another collector's export here. */
export function ImportButton() {
  const dialog = useRef<HTMLDialogElement>(null)
  const opener = useRef<HTMLButtonElement>(null)
  return (
    <>
      <button
        ref={opener}
        type="button"
        className="button"
        data-testid="import-open"
        aria-haspopup="dialog"
        title="Take the events of another Outpost's NDJSON export"
        onClick={() => dialog.current?.showModal()}
      >
        Import
      </button>
      <dialog
        ref={dialog}
        className="dialog"
        aria-labelledby="import-title"
        data-testid="import-dialog"
        onClose={() => opener.current?.focus()}
      >
        <ImportPanel onClose={() => dialog.current?.close()} />
      </dialog>
    </>
  )
}
