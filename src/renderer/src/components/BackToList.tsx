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
