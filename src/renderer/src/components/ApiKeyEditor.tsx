import { useState, type FormEvent } from 'react'
import type { DestinationSummary } from '@shared/model'
import { useOutpost } from '../store'

const SOURCE_WORDS: Record<NonNullable<DestinationSummary['keySource']>, string> = {
  outpost: 'set in Outpost',
  config: 'from the config file',
  env: 'from an environment variable'
}

function keyLine(destination: DestinationSummary): string {
  if (!destination.keySource) return 'Key: none'
  const stored = destination.keySource === 'outpost'
  const protection = destination.keysEncrypted ? ', encrypted by the OS keychain' : ''
  return `Key: ${SOURCE_WORDS[destination.keySource]}${stored ? protection : ''}`
}

function KeyForm({ destination, onDone }: { destination: DestinationSummary; onDone(): void }) {
  const setApiKey = useOutpost((state) => state.setApiKey)
  const [key, setKey] = useState('')
  const [saving, setSaving] = useState(false)
  const trimmed = key.trim()

  const save = async (apiKey: string | null) => {
    setSaving(true)
    const saved = await setApiKey(destination.id, apiKey)
    setSaving(false)
    if (saved) onDone()
  }
  const submit = (event: FormEvent) => {
    event.preventDefault()
    if (trimmed) void save(trimmed)
  }

  return (
    <form className="key-form" onSubmit={submit} data-testid={`key-form-${destination.id}`}>
      <input
        type="password"
        className="input"
        autoComplete="off"
        spellCheck={false}
        autoFocus
        aria-label={`${destination.vendorLabel} API key`}
        placeholder={`${destination.vendorLabel} API key`}
        data-testid={`key-input-${destination.id}`}
        value={key}
        onChange={(event) => setKey(event.target.value)}
      />
      <div className="key-form-actions">
        <button
          type="submit"
          className="button button-primary"
          disabled={!trimmed || /\s/.test(trimmed) || saving}
          data-testid={`key-save-${destination.id}`}
        >
          Save
        </button>
        {destination.keySource === 'outpost' && (
          <button
            type="button"
            className="button"
            disabled={saving}
            title="Forget this key; the config's key is used again, if it has one"
            data-testid={`key-remove-${destination.id}`}
            onClick={() => void save(null)}
          >
            Remove
          </button>
        )}
        <button type="button" className="button" disabled={saving} onClick={onDone}>
          Cancel
        </button>
      </div>
      <p className="key-form-note muted">
        {destination.keysEncrypted
          ? 'Kept encrypted by the OS keychain.'
          : 'Kept in keys.json in the data folder, readable by this user only.'}
      </p>
    </form>
  )
}

/** The key line of a destination card, and the form to set, change or remove the key. */
export function ApiKeyEditor({ destination }: { destination: DestinationSummary }) {
  const [editing, setEditing] = useState(false)
  if (editing) return <KeyForm destination={destination} onDone={() => setEditing(false)} />
  return (
    <div className="destination-key">
      <span data-testid={`key-source-${destination.id}`}>{keyLine(destination)}</span>
      <button
        type="button"
        className="link-button"
        data-testid={`set-key-${destination.id}`}
        onClick={() => setEditing(true)}
      >
        {destination.keySource ? 'Change key' : 'Set key'}
      </button>
    </div>
  )
}
