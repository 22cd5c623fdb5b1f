import type { KeyboardEvent, ReactNode } from 'react'
import { isTypingTarget } from '../list-selection'

/**
 * In a narrow window the list and the detail take turns on the screen (styles.css, the
 * `workspace-has-selection` rule): this leads back to the list. Hidden where both fit side by side.
 */
export function BackToList({ onBack, label }: { onBack(): void; label: string }) {
  return (
    <button type="button" className="button back-to-list" data-testid="back-to-list" onClick={onBack}>
      ← {label}
    </button>
  )
}

/**
 * Esc in a detail pane goes back to the list: where the two take turns, as the back button does
 * (`onBack`); where both are shown, to the selected row (`onReturn`). Esc that closed something
 * inside the pane (the editor, a dialog) or that a field keeps is left alone.
 */
function escapeToList(onBack: () => void, onReturn: () => void) {
  return (key: KeyboardEvent<HTMLElement>) => {
    if (key.key !== 'Escape' || key.defaultPrevented || isTypingTarget(key.target)) return
    key.preventDefault()
    const backButton = key.currentTarget.querySelector('[data-testid="back-to-list"]')
    if (backButton !== null && backButton.getClientRects().length > 0) onBack()
    else onReturn()
  }
}

/**
 * A list's detail pane, the back button first. Focusable so that Enter on a row can put the
 * keyboard here, and Esc take it back (escapeToList).
 */
export function DetailPane({
  id,
  label,
  testId,
  listLabel,
  onBack,
  onReturn,
  children
}: {
  id: string
  label: string
  testId: string
  /** What the back button says: the list it leads back to. */
  listLabel: string
  onBack(): void
  onReturn(): void
  children: ReactNode
}) {
  return (
    <aside
      id={id}
      className="detail"
      aria-label={label}
      data-testid={testId}
      tabIndex={-1}
      onKeyDown={escapeToList(onBack, onReturn)}
    >
      <BackToList label={listLabel} onBack={onBack} />
      {children}
    </aside>
  )
}
