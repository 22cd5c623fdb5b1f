import { useMemo, useState } from 'react'
import { jsonPath, parseJsonTree, type JsonNode } from '@shared/payload-json'
import { CopyButton } from './CopyButton'
import { JsonTree } from './JsonTree'

/** The tree of a JSON text, or null when it is not JSON (a cut body, what a client sent wrong). */
function treeOf(text: string): JsonNode | null {
  try {
    return parseJsonTree(text)
  } catch {
    // A SyntaxError, or a RangeError for nesting deeper than the stack: shown as text.
    return null
  }
}

interface PayloadViewProps {
  /** JSON text as stored: the tree shows it pretty, Raw shows it exactly. */
  text: string
  /** What it is, e.g. "Payload to send": names the tree for a screen reader. */
  label: string
  testId: string
}

function RawText({ text, label, testId }: PayloadViewProps) {
  return (
    <pre className="json" tabIndex={0} aria-label={label} data-testid={testId}>
      {text}
    </pre>
  )
}

function PayloadInspector({ text, label, testId }: PayloadViewProps) {
  const root = useMemo(() => treeOf(text), [text])
  const [raw, setRaw] = useState(false)
  const [selected, setSelected] = useState<JsonNode | null>(null)
  if (root === null) return <RawText text={text} label={label} testId={testId} />
  const node = selected ?? root
  const path = jsonPath(node.path)
  return (
    <div className="payload-view">
      <div className="payload-toolbar">
        <div className="segmented" role="group" aria-label={`Show the ${label.toLowerCase()} as`}>
          <button
            type="button"
            className="segment"
            aria-pressed={!raw}
            data-testid={`${testId}-pretty`}
            title="Pretty printed, every value as written; objects and arrays fold"
            onClick={() => setRaw(false)}
          >
            Pretty
          </button>
          <button
            type="button"
            className="segment"
            aria-pressed={raw}
            data-testid={`${testId}-raw`}
            title="The exact text stored"
            onClick={() => setRaw(true)}
          >
            Raw
          </button>
        </div>
        {!raw && (
          <>
            <code className="payload-path" data-testid={`${testId}-path`} title="The selected value's path">
              {path || '(the whole payload)'}
            </code>
            <CopyButton
              text={() => path}
              label="Copy path"
              what="the selected value's path, e.g. properties.items[2].sku"
              testId={`${testId}-copy-path`}
              disabled={path === ''}
            />
            <CopyButton
              text={() => node.text}
              label="Copy value"
              what="the selected value's JSON, exactly as written"
              testId={`${testId}-copy-value`}
            />
          </>
        )}
      </div>
      {raw ? (
        <RawText text={text} label={label} testId={testId} />
      ) : (
        <JsonTree root={root} label={label} testId={testId} selectedId={node.id} onSelect={setSelected} />
      )}
    </div>
  )
}

/**
 * A JSON payload to inspect: a foldable tree of its pretty print (every number as written) or
 * its exact text, with the selected value's path and JSON to copy. Text that is not JSON is
 * shown as it is. A new text starts afresh: its nodes are not the old one's.
 */
export function PayloadView(props: PayloadViewProps) {
  return <PayloadInspector key={props.text} {...props} />
}
