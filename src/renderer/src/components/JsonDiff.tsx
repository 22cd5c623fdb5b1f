import { useMemo } from 'react'
import { diffLines } from 'diff'

/** Line by line, what `after` changes in `before`: removed lines red, added green. */
export function JsonDiff({ before, after }: { before: string; after: string }) {
  const lines = useMemo(
    () =>
      diffLines(before, after).flatMap((part) => {
        const kind = part.added ? 'added' : part.removed ? 'removed' : 'same'
        const sign = part.added ? '+ ' : part.removed ? '- ' : '  '
        return part.value
          .replace(/\n$/, '')
          .split('\n')
          .map((text) => ({ kind, text: sign + text }))
      }),
    [before, after]
  )
  if (before === after) return <p className="muted">No changes.</p>
  return (
    <pre className="json" tabIndex={0} data-testid="json-diff">
      {lines.map((line, index) => (
        <span key={index} className={`diff-line diff-${line.kind}`}>
          {line.text}
        </span>
      ))}
    </pre>
  )
}
