import { useEffect, useRef } from 'react'
import { basicSetup, EditorView } from 'codemirror'
import { json, jsonParseLinter } from '@codemirror/lang-json'
import { linter, lintGutter } from '@codemirror/lint'

interface JsonEditorProps {
  /** The text the editor starts with; later changes come from the person typing. */
  initialValue: string
  onChange(text: string): void
  label: string
  testId?: string
}

/** CodeMirror for JSON: highlighting, bracket matching, undo, and parse errors marked in place. */
export function JsonEditor({ initialValue, onChange, label, testId }: JsonEditorProps) {
  const host = useRef<HTMLDivElement>(null)
  const latest = useRef({ initialValue, onChange, label, testId })
  useEffect(() => {
    latest.current.onChange = onChange
  }, [onChange])

  // Created once per mount: the parent keys the editor by event, so a new event gets a new one.
  useEffect(() => {
    const { initialValue: doc, label: ariaLabel, testId: id } = latest.current
    const view = new EditorView({
      parent: host.current as HTMLDivElement,
      doc,
      extensions: [
        basicSetup,
        json(),
        linter(jsonParseLinter()),
        lintGutter(),
        EditorView.lineWrapping,
        EditorView.contentAttributes.of({ 'aria-label': ariaLabel, ...(id ? { 'data-testid': id } : {}) }),
        EditorView.updateListener.of((update) => {
          if (update.docChanged) latest.current.onChange(update.state.doc.toString())
        })
      ]
    })
    return () => view.destroy()
  }, [])

  return <div className="json-editor" ref={host} />
}
