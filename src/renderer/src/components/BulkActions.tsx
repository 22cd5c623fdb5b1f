import { useRef } from 'react'
import type { BulkAction, BulkPreview, EventFilter } from '@shared/model'
import { formatCount } from '../format'
import { useOutpost, type BulkConfirmation, type BulkRun } from '../store'

const VERB: Record<BulkAction, { label: string; doing: string; done: string; takes: string }> = {
  resend: { label: 'Resend', doing: 'Resending', done: 'Resent', takes: 'failed or discarded' },
  discard: { label: 'Discard', doing: 'Discarding', done: 'Discarded', takes: 'waiting or failed' }
}

const events = (count: number) => `${formatCount(count)} event${count === 1 ? '' : 's'}`

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
  confirmation: BulkConfirmation
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

function RunNotice({ run, onUndo, onDismiss }: { run: BulkRun; onUndo(): void; onDismiss(): void }) {
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

/**
 * "Resend all N matching" and "Discard all N matching": every event the filters match, not only
 * the rows loaded, after a confirmation naming the count and destinations; a discard can be undone.
 */
export function BulkActions() {
  const count = useOutpost((state) => state.count)
  const confirmation = useOutpost((state) => state.bulkConfirmation)
  const run = useOutpost((state) => state.bulkRun)
  const previewBulk = useOutpost((state) => state.previewBulk)
  const cancelBulk = useOutpost((state) => state.cancelBulk)
  const startBulk = useOutpost((state) => state.startBulk)
  const undoBulk = useOutpost((state) => state.undoBulk)
  const dismissBulkRun = useOutpost((state) => state.dismissBulkRun)
  const dialog = useRef<HTMLDialogElement>(null)
  const opener = useRef<HTMLButtonElement | null>(null)

  const open = (action: BulkAction, button: HTMLButtonElement) => {
    if (run?.phase === 'running') return
    opener.current = button
    dialog.current?.showModal()
    void previewBulk(action)
  }

  const start = (preview: BulkPreview, filter: EventFilter) => {
    void startBulk(preview, filter)
    dialog.current?.close()
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
              onClick={(click) => open(action, click.currentTarget)}
            >
              {VERB[action].label} all {matching} matching
            </button>
          ))}
        </span>
      )}
      {run !== null && <RunNotice run={run} onUndo={() => void undoBulk()} onDismiss={dismissBulkRun} />}
      <dialog
        ref={dialog}
        className="dialog"
        aria-labelledby="bulk-title"
        data-testid="bulk-dialog"
        onClose={() => {
          cancelBulk()
          opener.current?.focus()
        }}
      >
        {confirmation !== null && (
          <ConfirmBody
            confirmation={confirmation}
            onConfirm={start}
            onCancel={() => dialog.current?.close()}
          />
        )}
      </dialog>
    </>
  )
}
