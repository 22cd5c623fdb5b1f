import { useEffect, useRef } from 'react'
import { basicSetup, EditorView } from 'codemirror'
import { json, jsonParseLinter } from '@codemirror/lang-json'
import { HighlightStyle, syntaxHighlighting } from '@codemirror/language'
import { linter, lintGutter } from '@codemirror/lint'
import { tags } from '@lezer/highlight'

interface JsonEditorProps {
  /** The text the editor starts with; later changes come from the person typing. */
  initialValue: string
  onChange(text: string): void
  label: string
  testId?: string
  /** Put the keyboard in it once shown: it was opened by a person about to type. */
  autoFocus?: boolean
}

/**
 * Colours from styles.css's variables, so the editor follows the light or dark theme with the rest
 * of the window (CodeMirror's own default highlight colours are for light backgrounds only).
 */
const themeColours = EditorView.theme({
  '&': { color: 'var(--text)', backgroundColor: 'var(--surface)' },
  '.cm-content': { caretColor: 'var(--text)' },
  '.cm-cursor, .cm-dropCursor': { borderLeftColor: 'var(--text)' },
  '.cm-gutters': {
    backgroundColor: 'var(--surface-muted)',
    color: 'var(--text-muted)',
    borderRight: '1px solid var(--border)'
  },
  '.cm-activeLine': { backgroundColor: 'var(--row-hover)' },
  '.cm-activeLineGutter': { backgroundColor: 'var(--selected)' },
  '&.cm-focused .cm-selectionBackground, .cm-selectionBackground, ::selection': {
    backgroundColor: 'var(--selected)'
  },
  '&.cm-focused .cm-matchingBracket': {
    backgroundColor: 'var(--accent-soft)',
    outline: '1px solid var(--accent)'
  }
})

const jsonColours = HighlightStyle.define([
  { tag: tags.propertyName, color: 'var(--json-key)' },
  { tag: tags.string, color: 'var(--json-string)' },
  { tag: tags.number, color: 'var(--json-number)' },
  { tag: [tags.bool, tags.null], color: 'var(--json-literal)' }
])

/** CodeMirror for JSON: highlighting, bracket matching, undo, and parse errors marked in place. */
export function JsonEditor({ initialValue, onChange, label, testId, autoFocus }: JsonEditorProps) {
  const host = useRef<HTMLDivElement>(null)
  const latest = useRef({ initialValue, onChange, label, testId, autoFocus })
  useEffect(() => {
    latest.current.onChange = onChange
  }, [onChange])

  // Created once per mount: the parent keys the editor by event, so a new event gets a new one.
  useEffect(() => {
    const { initialValue: doc, label: ariaLabel, testId: id, autoFocus: focus } = latest.current
    const view = new EditorView({
      parent: host.current as HTMLDivElement,
      doc,
      extensions: [
        basicSetup,
        json(),
        themeColours,
        syntaxHighlighting(jsonColours),
        linter(jsonParseLinter()),
        lintGutter(),
        EditorView.lineWrapping,
        EditorView.contentAttributes.of({ 'aria-label': ariaLabel, ...(id ? { 'data-testid': id } : {}) }),
        EditorView.updateListener.of((update) => {
          if (update.docChanged) latest.current.onChange(update.state.doc.toString())
        })
      ]
    })
    if (focus) view.focus()
    return () => view.destroy()
  }, [])

  return <div className="json-editor" ref={host} />
}
