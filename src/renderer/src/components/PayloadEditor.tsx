import { useMemo, useState } from 'react'
import { RESENDABLE_STATUSES, type EventDetail, type RejectedField } from '@shared/model'
import { prettyJson } from '@shared/payload-json'
import { useOutpost } from '../store'
import { DisclosureButton } from './DisclosureButton'
import { JsonDiff } from './JsonDiff'
import { JsonEditor } from './JsonEditor'

/** Why the draft is not JSON, or null when it is: the collector checks the vendor's rules. */
function syntaxProblem(text: string): string | null {
  try {
    JSON.parse(text)
    return null
  } catch (error) {
    return (error as Error).message
  }
}

/**
 * Edits a draft of the payload to send: nothing changes until Save, which the collector checks
 * with the vendor's own ingest rules; the changes against the current payload are one click away.
 */
export function PayloadEditor({ detail, onClose }: { detail: EventDetail; onClose(): void }) {
  const editPayload = useOutpost((state) => state.editPayload)
  const resendEvents = useOutpost((state) => state.resendEvents)
  const current = useMemo(() => prettyJson(detail.payload), [detail.payload])
  const [draft, setDraft] = useState(current)
  const [showChanges, setShowChanges] = useState(false)
  const [saving, setSaving] = useState(false)
  const [refusal, setRefusal] = useState<{ message: string; problems: RejectedField[] } | null>(null)
  const problem = syntaxProblem(draft)

  const save = async (thenResend: boolean) => {
    if (problem !== null) return
    setSaving(true)
    // The text itself is sent: a parsed value would round big integers and drop `1.0`'s digits.
    const result = await editPayload(detail.id, draft)
    setSaving(false)
    if (!result.ok) {
      setRefusal(result)
      return
    }
    if (thenResend) await resendEvents({ ids: [detail.id] })
    onClose()
  }

  return (
    <div
      data-testid="payload-editor"
      onKeyDown={(key) => {
        // Esc cancels, unless the editor used it (closing its search or completion panel).
        if (key.key !== 'Escape' || key.defaultPrevented || saving) return
        key.preventDefault()
        onClose()
      }}
    >
      <JsonEditor
        autoFocus
        initialValue={current}
        label="Payload to send"
        testId="payload-draft"
        onChange={(text) => {
          setDraft(text)
          setRefusal(null)
        }}
      />
      {problem !== null && (
        <p className="text-error" data-testid="draft-json-error">
          Not valid JSON: {problem}
        </p>
      )}
      {refusal && (
        <div data-testid="edit-refusal">
          <p className="text-error">
            {refusal.problems.length ? 'The vendor would refuse this payload:' : refusal.message}
          </p>
          {refusal.problems.length > 0 && (
            <ul className="editor-problems">
              {refusal.problems.map((problem, index) => (
                <li key={index}>
                  <code>{problem.field || 'body'}</code> {problem.reason}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      <div className="editor-actions">
        <button
          type="button"
          className="button button-primary"
          disabled={problem !== null || saving}
          data-testid="draft-save"
          onClick={() => void save(false)}
        >
          Save
        </button>
        {RESENDABLE_STATUSES.includes(detail.status) && (
          <button
            type="button"
            className="button"
            disabled={problem !== null || saving}
            data-testid="draft-save-resend"
            onClick={() => void save(true)}
          >
            Save and resend
          </button>
        )}
        <button type="button" className="button" disabled={saving} onClick={onClose}>
          Cancel
        </button>
        <DisclosureButton
          open={showChanges}
          onToggle={() => setShowChanges(!showChanges)}
          show="Show changes"
          hide="Hide changes"
          testId="draft-show-changes"
        />
      </div>
      {showChanges && <JsonDiff before={current} after={draft} />}
    </div>
  )
}
