import { useEffect, useState } from 'react'
import { describeError } from '../api'
import { useOutpost } from '../store'

const CONFIRMATION_MS = 1500

interface CopyButtonProps {
  text: string
  /** What is copied, for a screen reader and the tooltip, e.g. "the curl command for whisperr". */
  what: string
  label?: string
  testId?: string
}

/** Copies a text to the clipboard and says so for a moment. */
export function CopyButton({ text, what, label = 'Copy', testId }: CopyButtonProps) {
  const showError = useOutpost((state) => state.showError)
  const [copied, setCopied] = useState(false)

  useEffect(() => {
    if (!copied) return
    const timer = setTimeout(() => setCopied(false), CONFIRMATION_MS)
    return () => clearTimeout(timer)
  }, [copied])

  const copy = async (): Promise<void> => {
    try {
      await navigator.clipboard.writeText(text)
      setCopied(true)
    } catch (error) {
      showError(`Could not copy to the clipboard: ${describeError(error)}`)
    }
  }

  return (
    <button
      type="button"
      className="button"
      data-testid={testId}
      title={`Copy ${what}`}
      aria-label={`${copied ? 'Copied' : label} ${what}`}
      onClick={() => void copy()}
    >
      {copied ? 'Copied' : label}
    </button>
  )
}
