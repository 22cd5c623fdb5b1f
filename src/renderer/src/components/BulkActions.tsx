import { useEffect, useRef, useState } from 'react'
import type { OutpostApi } from '@shared/api'
import type { BulkAction, BulkActionProgress, BulkPreview, EventFilter, UndoOutcome } from '@shared/model'
import { describeError } from '../api'
import { formatCount } from '../format'
import { toQuery, useOutpost } from '../store'

/** How often a running bulk action's progress is read. */
const PROGRESS_POLL_MS = 300

const VERB: Record<BulkAction, { label: string; doing: string; done: string; takes: string }> = {
  resend: { label: 'Resend', doing: 'Resending', done: 'Resent', takes: 'failed or discarded' },
  discard: { label: 'Discard', doing: 'Discarding', done: 'Discarded', takes: 'waiting or failed' }
}

const events = (count: number) => `${formatCount(count)} event${count === 1 ? '' : 's'}`

/** What the confirmation dialog holds: the count being read, the count to confirm, or a refusal. */
type Confirmation =
  | { phase: 'counting'; action: BulkAction }
  | { phase: 'ready'; preview: BulkPreview; filter: EventFilter }
  | { phase: 'refused'; action: BulkAction; message: string }

/** What the notice under the filters says: a run's progress, its outcome, an undo's outcome. */
type Run =
  | { phase: 'running'; progress: BulkActionProgress }
  | { phase: 'finished'; progress: BulkActionProgress }
  | { phase: 'undone'; outcome: UndoOutcome }
  | { phase: 'failed'; message: string }

function destinationsText(destinations: string[]): string {
  return destinations.length === 1
    ? `destination ${destinations[0]}`
    : `destinations ${destinations.join(', ')}`
}

function ConfirmBody({
  confirmation,
  onConfirm,
  onCancel
}: {
  confirmation: Confirmation
  onConfirm(preview: BulkPreview, filter: EventFilter): void
  onCancel(): void
}) {
  const action = confirmation.phase === 'ready' ? confirmation.preview.action : confirmation.action
  const verb = VERB[action]
  return (
    <div className="dialog-body">
      <h2 id="bulk-title" className="dialog-title">
        {verb.label} every matching event
      </h2>
      {confirmation.phase === 'counting' && (
        <p role="status" data-testid="bulk-counting">
          Counting the events the filters match…
        </p>
      )}
      {confirmation.phase === 'refused' && (
        <p role="alert" className="text-error" data-testid="bulk-refused">
          {confirmation.message}
        </p>
      )}
      {confirmation.phase === 'ready' && (
        <p data-testid="bulk-confirm-text">
          {verb.label} <strong>{events(confirmation.preview.count)}</strong> ({verb.takes}) the filters match,
          for {destinationsText(confirmation.preview.destinations)}. Events stored from now on are left as
          they are.
          {action === 'discard' && ' You can undo this for 10 minutes.'}
        </p>
      )}
      <div className="dialog-actions">
        {confirmation.phase === 'ready' && (
          <button
            type="button"
            className="button button-primary"
            data-testid="bulk-confirm"
            disabled={confirmation.preview.count === 0}
            onClick={() => onConfirm(confirmation.preview, confirmation.filter)}
          >
            {verb.label} {events(confirmation.preview.count)}
          </button>
        )}
        {/* Focused first: Enter on an opened dialog never acts on thousands of events. */}
        <button type="button" className="button" data-testid="bulk-cancel" autoFocus onClick={onCancel}>
          Cancel
        </button>
      </div>
    </div>
  )
}

function RunNotice({ run, onUndo, onDismiss }: { run: Run; onUndo(): void; onDismiss(): void }) {
  const undoable = run.phase === 'finished' && run.progress.undoableUntil !== null
  return (
    <div className="bulk-notice" data-testid="bulk-notice">
      {run.phase === 'running' && (
        <progress
          aria-label="Bulk action progress"
          max={Math.max(run.progress.expected, run.progress.changed)}
          value={run.progress.changed}
        />
      )}
      <span role="status" data-testid="bulk-status">
        {run.phase === 'running' &&
          `${VERB[run.progress.action].doing}… ${formatCount(run.progress.changed)} of ${events(run.progress.expected)}`}
        {run.phase === 'finished' &&
          (run.progress.state === 'failed'
            ? `${VERB[run.progress.action].done} ${events(run.progress.changed)}, then stopped: ${run.progress.error}`
            : `${VERB[run.progress.action].done} ${events(run.progress.changed)}.`)}
        {run.phase === 'undone' &&
          `Undone: ${events(run.outcome.restored)} put back as they were` +
            (run.outcome.leftAlone > 0
              ? `; ${events(run.outcome.leftAlone)} changed since, left alone.`
              : '.')}
        {run.phase === 'failed' && `The bulk action failed: ${run.message}`}
      </span>
      {undoable && (
        <button type="button" className="button" data-testid="bulk-undo" onClick={onUndo}>
          Undo
        </button>
      )}
      {run.phase !== 'running' && (
        <button type="button" className="link-button" data-testid="bulk-dismiss" onClick={onDismiss}>
          Dismiss
        </button>
      )}
    </div>
  )
}

/** Polls a bulk action until it ends, telling `onProgress` each time. */
async function follow(
  client: OutpostApi,
  started: BulkActionProgress,
  onProgress: (progress: BulkActionProgress) => void
): Promise<BulkActionProgress> {
  let progress = started
  while (progress.state === 'running') {
    await new Promise((resolve) => setTimeout(resolve, PROGRESS_POLL_MS))
    progress = await client.getBulkAction({ id: progress.id })
    onProgress(progress)
  }
  return progress
}

/** Hides the Undo once its time is over, without waiting for another change. */
function useUndoExpiry(run: Run | null, setRun: (change: (current: Run | null) => Run | null) => void): void {
  const until = run?.phase === 'finished' ? run.progress.undoableUntil : null
  useEffect(() => {
    if (until === null) return
    const expire = () =>
      setRun((current) =>
        current?.phase === 'finished'
          ? { ...current, progress: { ...current.progress, undoableUntil: null } }
          : current
      )
    const timer = setTimeout(expire, Math.max(0, Date.parse(until) - Date.now()))
    return () => clearTimeout(timer)
  }, [until, setRun])
}

/**
 * "Resend all N matching" and "Discard all N matching": every event the filters match, not only
 * the rows loaded, after a confirmation naming the count and destinations; a discard can be undone.
 */
export function BulkActions() {
  const count = useOutpost((state) => state.count)
  const filters = useOutpost((state) => state.filters)
  const client = useOutpost((state) => state.client)
  const dialog = useRef<HTMLDialogElement>(null)
  const opener = useRef<HTMLButtonElement | null>(null)
  const [confirmation, setConfirmation] = useState<Confirmation | null>(null)
  const [run, setRun] = useState<Run | null>(null)
  useUndoExpiry(run, setRun)

  const open = async (action: BulkAction, button: HTMLButtonElement) => {
    const api = client()
    if (!api || run?.phase === 'running') return
    opener.current = button
    setConfirmation({ phase: 'counting', action })
    dialog.current?.showModal()
    // Read once: the action takes the events the person confirmed, even of a "last hour" that moves on.
    const filter = toQuery(filters)
    try {
      setConfirmation({ phase: 'ready', preview: await api.previewBulkAction({ action, filter }), filter })
    } catch (error) {
      setConfirmation({ phase: 'refused', action, message: describeError(error) })
    }
  }

  const start = async (preview: BulkPreview, filter: EventFilter) => {
    dialog.current?.close()
    const api = client()
    if (!api) return
    try {
      const started = await api.startBulkAction({
        action: preview.action,
        filter,
        throughId: preview.throughId,
        expected: preview.count
      })
      setRun({ phase: 'running', progress: started })
      const progress = await follow(api, started, (next) => setRun({ phase: 'running', progress: next }))
      setRun({ phase: 'finished', progress })
    } catch (error) {
      setRun({ phase: 'failed', message: describeError(error) })
    }
  }

  const undo = async () => {
    const api = client()
    if (!api || run?.phase !== 'finished') return
    try {
      setRun({ phase: 'undone', outcome: await api.undoBulkDiscard({ id: run.progress.id }) })
    } catch (error) {
      setRun({ phase: 'failed', message: describeError(error) })
    }
  }

  const matching = count === null ? null : `${formatCount(count.count)}${count.exact ? '' : '+'}`
  const running = run?.phase === 'running'
  return (
    <>
      {matching !== null && count !== null && count.count > 0 && (
        <span className="bulk-actions">
          {(['resend', 'discard'] as const).map((action) => (
            <button
              key={action}
              type="button"
              className="button"
              data-testid={`bulk-${action}`}
              aria-haspopup="dialog"
              // Not disabled: the button keeps the focus the dialog gives back while the run goes on.
              aria-disabled={running}
              title={`${VERB[action].label} every ${VERB[action].takes} event the filters match, not only the rows shown`}
              onClick={(click) => void open(action, click.currentTarget)}
            >
              {VERB[action].label} all {matching} matching
            </button>
          ))}
        </span>
      )}
      {run !== null && <RunNotice run={run} onUndo={() => void undo()} onDismiss={() => setRun(null)} />}
      <dialog
        ref={dialog}
        className="dialog"
        aria-labelledby="bulk-title"
        data-testid="bulk-dialog"
        onClose={() => {
          setConfirmation(null)
          opener.current?.focus()
        }}
      >
        {confirmation !== null && (
          <ConfirmBody
            confirmation={confirmation}
            onConfirm={(preview, filter) => void start(preview, filter)}
            onCancel={() => dialog.current?.close()}
          />
        )}
      </dialog>
    </>
  )
}
