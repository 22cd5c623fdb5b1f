import { useEffect, useState } from 'react'
import { describeError } from '../api'
import { useOutpost } from '../store'

const CONFIRMATION_MS = 1500

export function CopyJsonButton({ json }: { json: string }) {
  const showError = useOutpost((state) => state.showError)
  const [copied, setCopied] = useState(false)

  useEffect(() => {
    if (!copied) return
    const timer = setTimeout(() => setCopied(false), CONFIRMATION_MS)
    return () => clearTimeout(timer)
  }, [copied])

  const copy = async (): Promise<void> => {
    try {
      await navigator.clipboard.writeText(json)
      setCopied(true)
    } catch (error) {
      showError(`Could not copy to the clipboard: ${describeError(error)}`)
    }
  }

  return (
    <button
      type="button"
      className="button"
      data-testid="copy-json"
      title="Copy this event, its payloads and attempts as JSON"
      onClick={() => void copy()}
    >
      {copied ? 'Copied' : 'Copy JSON'}
    </button>
  )
}
