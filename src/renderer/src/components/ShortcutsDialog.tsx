import { Fragment, useRef } from 'react'
import { SHORTCUTS, useShortcut } from '../shortcuts'

/** `?` anywhere but in a field: the keys the window answers. Esc or Close puts the keyboard back. */
export function ShortcutsDialog() {
  const dialog = useRef<HTMLDialogElement>(null)
  const opener = useRef<Element | null>(null)
  useShortcut('?', () => {
    opener.current = document.activeElement
    dialog.current?.showModal()
  })
  return (
    <dialog
      ref={dialog}
      className="dialog"
      aria-labelledby="shortcuts-title"
      data-testid="shortcuts-dialog"
      onClose={() => {
        if (opener.current instanceof HTMLElement) opener.current.focus()
      }}
    >
      <div className="dialog-body">
        <h2 id="shortcuts-title" className="dialog-title">
          Keyboard shortcuts
        </h2>
        <dl className="shortcuts">
          {SHORTCUTS.map(({ keys, what }) => (
            <Fragment key={what}>
              <dt>
                {keys.map((key) => (
                  <kbd key={key}>{key}</kbd>
                ))}
              </dt>
              <dd>{what}</dd>
            </Fragment>
          ))}
        </dl>
        <p className="muted">Letters and / do nothing while you type in a field or the editor.</p>
        <div className="dialog-actions">
          <button
            type="button"
            className="button"
            data-testid="shortcuts-close"
            autoFocus
            onClick={() => dialog.current?.close()}
          >
            Close
          </button>
        </div>
      </div>
    </dialog>
  )
}
