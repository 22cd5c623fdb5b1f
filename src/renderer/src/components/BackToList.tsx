import type { KeyboardEvent } from 'react'
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
export function escapeToList(onBack: () => void, onReturn: () => void) {
  return (key: KeyboardEvent<HTMLElement>) => {
    if (key.key !== 'Escape' || key.defaultPrevented || isTypingTarget(key.target)) return
    key.preventDefault()
    const backButton = key.currentTarget.querySelector('[data-testid="back-to-list"]')
    if (backButton !== null && backButton.getClientRects().length > 0) onBack()
    else onReturn()
  }
}
