import { useEffect, useRef } from 'react'
import { isTypingTarget } from './list-selection'

/** Every key the window answers, for the `?` dialog: one list, so the dialog cannot fall behind. */
export const SHORTCUTS: readonly { keys: string[]; what: string }[] = [
  { keys: ['/'], what: 'Search the events' },
  { keys: ['↑', '↓'], what: 'Previous or next row of the list' },
  { keys: ['Page Up', 'Page Down'], what: 'Ten rows up or down' },
  { keys: ['Home', 'End'], what: 'First or last row' },
  { keys: ['Space'], what: "Tick the row's checkbox" },
  { keys: ['Ctrl+A', '⌘A'], what: 'In the list: tick every row shown, or untick them all' },
  { keys: ['Enter'], what: "Open the row's detail" },
  { keys: ['e'], what: 'Edit the payload of the event shown' },
  { keys: ['r'], what: 'Resend the event shown' },
  { keys: ['Esc'], what: 'Cancel the edit, close a dialog, go back to the list' },
  { keys: ['?'], what: 'This list' }
]

/** A key pressed to type, to move in a form, or while a dialog is open is not a shortcut. */
export function isShortcutPress(event: KeyboardEvent): boolean {
  if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return false
  if (isTypingTarget(event.target)) return false
  return document.querySelector('dialog[open]') === null
}

/** Runs `run` when `key` is pressed as a shortcut; `run` may change on every render. */
export function useShortcut(key: string, run: () => void, enabled = true): void {
  const latest = useRef(run)
  useEffect(() => {
    latest.current = run
  })
  useEffect(() => {
    if (!enabled) return
    const onKeyDown = (event: KeyboardEvent): void => {
      if (event.key !== key || !isShortcutPress(event)) return
      event.preventDefault()
      latest.current()
    }
    window.addEventListener('keydown', onKeyDown)
    return () => window.removeEventListener('keydown', onKeyDown)
  }, [key, enabled])
}
