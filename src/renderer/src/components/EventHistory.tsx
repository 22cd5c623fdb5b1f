import { useState } from 'react'
import type { UserAction } from '@shared/model'
import { prettyJson } from '@shared/payload-json'
import { formatDateTime } from '../format'
import { DisclosureButton } from './DisclosureButton'
import { JsonDiff } from './JsonDiff'

const ACTION_WORDS: Record<UserAction['action'], string> = {
  edit: 'edited the payload',
  resend: 'resent',
  discard: 'discarded',
  undo_discard: 'undid the discard'
}

const pretty = (json: string | null) => (json === null ? '' : prettyJson(json))

function HistoryEntry({ action }: { action: UserAction }) {
  const [open, setOpen] = useState(false)
  return (
    <li data-testid="history-entry">
      <span className="mono">{formatDateTime(action.at)}</span> · {action.actor} {ACTION_WORDS[action.action]}
      {action.action === 'edit' ? (
        <>
          {' '}
          <DisclosureButton
            open={open}
            onToggle={() => setOpen(!open)}
            show="Show changes"
            hide="Hide changes"
          />
          {open && <JsonDiff before={pretty(action.before)} after={pretty(action.after)} />}
        </>
      ) : (
        <span className="muted">
          {' '}
          ({action.before} → {action.after})
        </span>
      )}
    </li>
  )
}

/** Everything people did to this event, newest first. */
export function EventHistory({ history }: { history: UserAction[] }) {
  if (history.length === 0) return <p className="muted">Nobody has changed this event.</p>
  return (
    <ul className="history">
      {history.map((action) => (
        <HistoryEntry key={action.id} action={action} />
      ))}
    </ul>
  )
}
