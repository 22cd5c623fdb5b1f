import { useEffect, useMemo, useRef, useState, type FocusEvent, type ReactNode, type RefObject } from 'react'
import { DISCARDABLE_STATUSES, EDITABLE_STATUSES, RESENDABLE_STATUSES, type EventDetail } from '@shared/model'
import { eventJson, prettyJson } from '@shared/payload-json'
import { FOCUS_TARGETS, focusEventRow } from '../focus-moves'
import { formatDateTime } from '../format'
import { useShortcut } from '../shortcuts'
import { useOutpost } from '../store'
import { AttemptsTable } from './AttemptsTable'
import { DetailPane } from './BackToList'
import { CopyAsCurl } from './CopyAsCurl'
import { CopyJsonButton } from './CopyJsonButton'
import { DisclosureButton } from './DisclosureButton'
import { EventHistory } from './EventHistory'
import { JsonDiff } from './JsonDiff'
import { PayloadEditor } from './PayloadEditor'
import { PayloadView } from './PayloadView'
import { StatusChip } from './StatusChip'

function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </>
  )
}

function lastAnswer(detail: EventDetail): string {
  if (detail.lastStatus === null && detail.lastError === null) return '—'
  const status = detail.lastStatus === null ? 'no answer' : `HTTP ${detail.lastStatus}`
  return detail.lastError ? `${status}: ${detail.lastError}` : status
}

function EventFields({ detail }: { detail: EventDetail }) {
  return (
    <dl className="fields">
      <Field label="Message id">
        <span className="mono">{detail.messageId}</span>
      </Field>
      <Field label="Destination">{detail.destination}</Field>
      <Field label="Kind">{detail.kind}</Field>
      <Field label="User">{detail.userKey ? <span className="mono">{detail.userKey}</span> : '—'}</Field>
      <Field label="Occurred">{formatDateTime(detail.occurredAt)}</Field>
      <Field label="Received">{formatDateTime(detail.receivedAt)}</Field>
      <Field label="Sent">{formatDateTime(detail.sentAt)}</Field>
      <Field label="Next attempt">{formatDateTime(detail.nextAttemptAt)}</Field>
      <Field label="Attempts">{detail.attempts}</Field>
      <Field label="Last answer">
        <span className={detail.lastError ? 'text-error' : undefined}>{lastAnswer(detail)}</span>
      </Field>
    </dl>
  )
}

/** Both payloads pretty-printed, to diff; null when one is not JSON (then only the texts are compared). */
function prettyPair(detail: EventDetail): { received: string; payload: string } | null {
  try {
    return { received: prettyJson(detail.receivedPayload), payload: prettyJson(detail.payload) }
  } catch {
    return null
  }
}

function ReceivedPayload({ detail }: { detail: EventDetail }) {
  const [showChanges, setShowChanges] = useState(false)
  const pretty = useMemo(() => prettyPair(detail), [detail])
  return (
    <section className="detail-section">
      <h3>
        Payload as received{' '}
        <DisclosureButton
          open={showChanges}
          onToggle={() => setShowChanges(!showChanges)}
          show="Show what changed"
          hide="Hide changes"
          testId="received-show-changes"
        />
      </h3>
      {showChanges ? (
        <JsonDiff
          before={pretty?.received ?? detail.receivedPayload}
          after={pretty?.payload ?? detail.payload}
        />
      ) : (
        <PayloadView text={detail.receivedPayload} label="Payload as received" testId="received-payload" />
      )}
    </section>
  )
}

function Payloads({
  detail,
  editing,
  onEditDone
}: {
  detail: EventDetail
  editing: boolean
  onEditDone(): void
}) {
  const pretty = useMemo(() => prettyPair(detail), [detail])
  const changed = pretty ? pretty.received !== pretty.payload : detail.receivedPayload !== detail.payload
  return (
    <>
      <section className="detail-section">
        <h3>
          Payload to send{detail.revision > 0 && <span className="muted"> · revision {detail.revision}</span>}
        </h3>
        {editing ? (
          <PayloadEditor detail={detail} onClose={onEditDone} />
        ) : (
          <PayloadView text={detail.payload} label="Payload to send" testId="payload" />
        )}
      </section>
      {changed && <ReceivedPayload detail={detail} />}
    </>
  )
}

/** Resend or discard, then the keyboard goes back to the event's row: the buttons may go with the status. */
function useEventActions(detail: EventDetail) {
  const resendEvents = useOutpost((state) => state.resendEvents)
  const discardEvents = useOutpost((state) => state.discardEvents)
  return {
    canEdit: EDITABLE_STATUSES.includes(detail.status),
    canResend: RESENDABLE_STATUSES.includes(detail.status),
    canDiscard: DISCARDABLE_STATUSES.includes(detail.status),
    resend: () => void resendEvents({ ids: [detail.id] }).then(() => focusEventRow(detail.id)),
    discard: () => void discardEvents([detail.id]).then(() => focusEventRow(detail.id))
  }
}

/**
 * A button with the keyboard can go with a change of status (Edit once the event is sent): the
 * keyboard then goes to the event's row rather than to the page.
 */
function useFocusKeptWhenButtonsGo(eventId: number) {
  const focusedButton = useRef<HTMLElement | null>(null)
  useEffect(() => {
    const button = focusedButton.current
    if (button === null || button.isConnected) return
    focusedButton.current = null
    if (document.activeElement === null || document.activeElement === document.body) focusEventRow(eventId)
  })
  return {
    onFocus: (focus: FocusEvent<HTMLElement>) => {
      focusedButton.current = focus.target
    },
    // A blur with nowhere to go (the button removed, where the browser fires one) keeps it in mind.
    onBlur: (blur: FocusEvent<HTMLElement>) => {
      if (blur.relatedTarget !== null) focusedButton.current = null
    }
  }
}

function EventActions({
  detail,
  onEdit,
  editButton
}: {
  detail: EventDetail
  onEdit(): void
  editButton: RefObject<HTMLButtonElement | null>
}) {
  const { canEdit, canResend, canDiscard, resend, discard } = useEventActions(detail)
  const keepFocus = useFocusKeptWhenButtonsGo(detail.id)
  return (
    <div className="detail-actions" {...keepFocus}>
      {canEdit && (
        <button
          ref={editButton}
          type="button"
          className="button"
          data-testid="event-edit"
          aria-keyshortcuts="e"
          onClick={onEdit}
        >
          Edit
        </button>
      )}
      {canResend && (
        <button
          type="button"
          className="button"
          data-testid="event-resend"
          aria-keyshortcuts="r"
          title="Send it again, with its message id"
          onClick={resend}
        >
          Resend
        </button>
      )}
      {canDiscard && (
        <button
          type="button"
          className="button"
          data-testid="event-discard"
          title="Never send it; it stays listed as discarded"
          onClick={discard}
        >
          Discard
        </button>
      )}
    </div>
  )
}

/**
 * Whether the payload editor is open, with the keyboard following it: into the editor when it
 * opens (JsonEditor's autoFocus), back on Edit when it closes, or on the row once Edit is gone.
 */
function useEditing(detail: EventDetail) {
  const [editing, setEditing] = useState(false)
  const editButton = useRef<HTMLButtonElement>(null)
  const closedEditor = useRef(false)
  useEffect(() => {
    if (editing || !closedEditor.current) return
    closedEditor.current = false
    if (editButton.current) editButton.current.focus()
    else focusEventRow(detail.id)
  }, [editing, detail.id])
  const { canEdit, canResend, resend } = useEventActions(detail)
  useShortcut('e', () => setEditing(true), canEdit && !editing)
  useShortcut('r', resend, canResend && !editing)
  return {
    editing,
    editButton,
    startEditing: () => setEditing(true),
    stopEditing: () => {
      closedEditor.current = true
      setEditing(false)
    }
  }
}

function EventDetailView({ detail }: { detail: EventDetail }) {
  const { editing, editButton, startEditing, stopEditing } = useEditing(detail)
  const resendEvents = useOutpost((state) => state.resendEvents)
  const showRequestEvents = useOutpost((state) => state.showRequestEvents)
  const vendorLabel = useOutpost(
    (state) => state.stats?.destinations.find((d) => d.id === detail.destination)?.vendorLabel
  )
  return (
    <>
      <header className="detail-header">
        <h2 className="detail-title" title={detail.name}>
          {detail.name}
        </h2>
        <StatusChip status={detail.status} />
        <span className="muted mono">#{detail.id}</span>
        <CopyJsonButton json={eventJson(detail)} />
      </header>
      {!editing && <EventActions detail={detail} onEdit={startEditing} editButton={editButton} />}
      <EventFields detail={detail} />
      <Payloads detail={detail} editing={editing} onEditDone={stopEditing} />
      {/* Keyed by the payload: a command shown was built from the payload as it was. */}
      <CopyAsCurl
        key={detail.payload}
        eventId={detail.id}
        destinationLabel={vendorLabel ?? detail.destination}
      />
      <section className="detail-section">
        <h3>Delivery attempts</h3>
        <AttemptsTable
          attempts={detail.attemptsLog}
          onResendRequest={(attemptId) => void resendEvents({ attemptId })}
          onShowRequestEvents={showRequestEvents}
        />
      </section>
      <section className="detail-section">
        <h3>History</h3>
        <EventHistory history={detail.history} />
      </section>
    </>
  )
}

export function EventDetailPane() {
  const selectedId = useOutpost((state) => state.selectedId)
  const detail = useOutpost((state) => state.detail)
  const detailState = useOutpost((state) => state.detailState)
  const select = useOutpost((state) => state.select)

  let content: ReactNode
  // Keyed by event: a draft being edited belongs to its event, never to the next one shown.
  if (detail && detailState === 'loaded') content = <EventDetailView key={detail.id} detail={detail} />
  else if (detailState === 'missing')
    content = (
      <p className="muted">
        Event #{selectedId} no longer exists: delivered events are pruned after the retention period.
      </p>
    )
  else if (detailState === 'loading') content = <p className="muted">Loading event #{selectedId}…</p>
  else
    content = (
      <p className="muted">
        Select an event to see its payload and every delivery attempt. ↑ and ↓ move through the list; ? lists
        every key.
      </p>
    )

  const backToList = () => {
    select(null)
    focusEventRow(selectedId ?? undefined)
  }
  return (
    <DetailPane
      id={FOCUS_TARGETS.eventDetail}
      label="Event detail"
      testId="event-detail"
      listLabel="Events"
      onBack={backToList}
      onReturn={() => focusEventRow()}
    >
      {content}
    </DetailPane>
  )
}
