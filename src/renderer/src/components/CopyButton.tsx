import { useEffect, useState } from 'react'
import { describeError } from '../api'
import { useOutpost } from '../store'

const CONFIRMATION_MS = 1500

interface CopyButtonProps {
  /** The text, or how to get it (null when getting it failed and said why). */
  text: string | (() => string | null | Promise<string | null>)
  /** What is copied, for a screen reader and the tooltip, e.g. "the curl command for whisperr". */
  what: string
  label?: string
  testId?: string
  disabled?: boolean
}

/** Copies a text to the clipboard and says "Copied" for a moment. */
export function CopyButton({ text, what, label = 'Copy', testId, disabled }: CopyButtonProps) {
  const showError = useOutpost((state) => state.showError)
  const [copied, setCopied] = useState(false)

  useEffect(() => {
    if (!copied) return
    const timer = setTimeout(() => setCopied(false), CONFIRMATION_MS)
    return () => clearTimeout(timer)
  }, [copied])

  const copy = async (): Promise<void> => {
    const copiedText = typeof text === 'string' ? text : await text()
    if (copiedText === null) return
    try {
      await navigator.clipboard.writeText(copiedText)
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
      disabled={disabled}
      onClick={() => void copy()}
    >
      {copied ? 'Copied' : label}
    </button>
  )
}
