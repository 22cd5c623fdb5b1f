import { useEffect, useState } from 'react'
import { describeError } from '../api'
import { useOutpost } from '../store'

const CONFIRMATION_MS = 1500

/**
 * A button that puts text on the clipboard and says "Copied" for a moment. The text may have to
 * be fetched first (`text` returns null when that failed and said why).
 */
export function CopyButton(props: {
  text: () => string | null | Promise<string | null>
  label: string
  title: string
  testId: string
  disabled?: boolean
}) {
  const showError = useOutpost((state) => state.showError)
  const [copied, setCopied] = useState(false)

  useEffect(() => {
    if (!copied) return
    const timer = setTimeout(() => setCopied(false), CONFIRMATION_MS)
    return () => clearTimeout(timer)
  }, [copied])

  const copy = async (): Promise<void> => {
    const text = await props.text()
    if (text === null) return
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
      data-testid={props.testId}
      title={props.title}
      disabled={props.disabled}
      onClick={() => void copy()}
    >
      {copied ? 'Copied' : props.label}
    </button>
  )
}
