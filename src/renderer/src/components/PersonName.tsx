import { useState, type FormEvent } from 'react'
import { personNameProblem } from '@shared/person'
import { describeError } from '../api'
import { asksForPersonName, savePersonName, usePersonName } from '../person-name'

const WHY =
  'The history records your name with each edit, resend or discard; without one it says "web console".'

function PersonNameForm({ saved, onClose }: { saved: string | null; onClose(): void }) {
  const [draft, setDraft] = useState(saved ?? '')
  const [problem, setProblem] = useState<string | null>(null)

  const save = (submit: FormEvent) => {
    submit.preventDefault()
    const cleared = draft.trim() === ''
    const invalid = cleared ? null : personNameProblem(draft)
    if (invalid !== null) {
      setProblem(`The name ${invalid}.`)
      return
    }
    try {
      savePersonName(cleared ? null : draft)
      onClose()
    } catch (error) {
      setProblem(`This browser would not keep the name: ${describeError(error)}`)
    }
  }

  return (
    <form
      className="person-form"
      data-testid="person-form"
      onSubmit={save}
      onKeyDown={(key) => {
        if (key.key === 'Escape') onClose()
      }}
    >
      <label htmlFor="person-input">Your name</label>
      <input
        id="person-input"
        className="input person-input"
        data-testid="person-input"
        value={draft}
        title={`${WHY} Leave it empty to give none.`}
        aria-describedby={problem ? 'person-problem' : undefined}
        aria-invalid={problem !== null}
        autoFocus
        autoComplete="name"
        onChange={(change) => {
          setDraft(change.target.value)
          setProblem(null)
        }}
      />
      <button type="submit" className="button" data-testid="person-save">
        Save
      </button>
      <button type="button" className="button" onClick={onClose}>
        Cancel
      </button>
      {problem && (
        <span id="person-problem" className="person-problem" role="alert" data-testid="person-problem">
          {problem}
        </span>
      )}
    </form>
  )
}

/** In the console's top bar: who the history will record, and a way to say or change it. */
export function PersonName() {
  const name = usePersonName()
  const [editing, setEditing] = useState(false)
  // Closing the form puts the keyboard back on the button that opened it (not on page load).
  const [closedForm, setClosedForm] = useState(false)

  if (!asksForPersonName()) return null
  if (editing) {
    return (
      <PersonNameForm
        saved={name}
        onClose={() => {
          setEditing(false)
          setClosedForm(true)
        }}
      />
    )
  }
  return (
    <div className="person" data-testid="person">
      {name !== null && (
        <span className="person-current">
          Acting as <strong data-testid="person-name">{name}</strong>
        </span>
      )}
      <button
        type="button"
        autoFocus={closedForm}
        className="button"
        data-testid="person-change"
        title={WHY}
        onClick={() => setEditing(true)}
      >
        {name === null ? 'Give your name' : 'Change name'}
      </button>
    </div>
  )
}
