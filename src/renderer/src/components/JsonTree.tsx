import { useMemo, useRef, useState, type CSSProperties, type KeyboardEvent } from 'react'
import { jsonLines, type JsonContainer, type JsonLine, type JsonNode } from '@shared/payload-json'

/** Objects and arrays deeper than this, or longer, start folded: a 500-event batch shows as one line. */
const UNFOLDED_DEPTH = 3
const UNFOLDED_CHILDREN = 100

interface Placement {
  parent: JsonContainer | null
  /** 1-based place among its siblings. */
  position: number
}

function placements(root: JsonNode): Map<number, Placement> {
  const map = new Map<number, Placement>([[root.id, { parent: null, position: 1 }]])
  const visit = (node: JsonNode): void => {
    if (node.kind === 'scalar') return
    node.children.forEach((child, index) => {
      map.set(child.id, { parent: node, position: index + 1 })
      visit(child)
    })
  }
  visit(root)
  return map
}

function initiallyOpen(root: JsonNode): Set<number> {
  const open = new Set<number>([root.id])
  const visit = (node: JsonNode): void => {
    if (node.kind === 'scalar' || node.path.length >= UNFOLDED_DEPTH) return
    if (node.path.length > 0 && node.children.length > UNFOLDED_CHILDREN) return
    open.add(node.id)
    node.children.forEach(visit)
  }
  visit(root)
  return open
}

/** The id of a node's last descendant: in document order its descendants' ids run up to it. */
function lastDescendantId(node: JsonNode): number {
  let last = node
  while (last.kind !== 'scalar' && last.children.length > 0) last = last.children[last.children.length - 1]!
  return last.id
}

const foldable = (node: JsonNode): node is JsonContainer => node.kind !== 'scalar' && node.children.length > 0

function summary(node: JsonContainer): string {
  const count = node.children.length
  if (node.kind === 'object') return `${count} ${count === 1 ? 'key' : 'keys'}`
  return `${count} ${count === 1 ? 'item' : 'items'}`
}

function scalarClass(display: string): string {
  if (display.startsWith('"')) return 'json-string'
  return /^[-\d]/.test(display) ? 'json-number' : 'json-literal'
}

/** A label `"key": ` is shown with the key coloured and the colon plain. */
function Label({ text }: { text: string }) {
  if (!text) return null
  return (
    <>
      <span className="json-key">{text.slice(0, -2)}</span>
      {': '}
    </>
  )
}

function LineContent({ line }: { line: JsonLine }) {
  const comma = line.comma ? ',' : ''
  if (line.node.kind === 'scalar') {
    return (
      <>
        <Label text={line.label} />
        <span className={scalarClass(line.content)}>{line.content}</span>
        {comma}
      </>
    )
  }
  return (
    <>
      <Label text={line.label} />
      {line.content}
      {comma}
      {line.part === 'folded' && <span className="json-summary"> {summary(line.node)}</span>}
    </>
  )
}

/**
 * A payload as a tree (WAI-ARIA's tree pattern, one tab stop): the pretty print, line by line,
 * where each object and array folds. ↑ ↓ move, → unfolds or goes in, ← folds or goes up, Enter
 * or Space fold and unfold, Home and End jump. The focused line is the selected one, whose path
 * and value the buttons above the tree copy.
 */
export function JsonTree(props: {
  root: JsonNode
  label: string
  testId: string
  selectedId: number
  onSelect(node: JsonNode): void
}) {
  const { root, selectedId, onSelect } = props
  const [open, setOpen] = useState(() => initiallyOpen(root))
  const placed = useMemo(() => placements(root), [root])
  const lines = useMemo(() => jsonLines(root, (node) => open.has(node.id)), [root, open])
  const items = useMemo(() => lines.filter((line) => line.part !== 'close'), [lines])
  const elements = useRef(new Map<number, HTMLDivElement>())
  // The one tab stop: the selected line, or the root's when the selection is out of sight.
  const tabStop = items.some((line) => line.node.id === selectedId) ? selectedId : root.id

  const select = (node: JsonNode): void => {
    onSelect(node)
    elements.current.get(node.id)?.focus()
  }

  const setFolded = (node: JsonContainer, folded: boolean): void => {
    setOpen((previous) => {
      const next = new Set(previous)
      if (folded) next.delete(node.id)
      else next.add(node.id)
      return next
    })
    // Folding hides what was selected inside it: the fold itself becomes the selection.
    if (folded && selectedId > node.id && selectedId <= lastDescendantId(node)) select(node)
  }

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>, line: JsonLine): void => {
    const index = items.indexOf(line)
    const { node } = line
    const to = (target: number) => {
      const item = items[Math.max(0, Math.min(items.length - 1, target))]
      if (item) select(item.node)
    }
    switch (event.key) {
      case 'ArrowDown':
        to(index + 1)
        break
      case 'ArrowUp':
        to(index - 1)
        break
      case 'Home':
        to(0)
        break
      case 'End':
        to(items.length - 1)
        break
      case 'ArrowRight':
        if (line.part === 'folded') setFolded(node as JsonContainer, false)
        else if (line.part === 'open') to(index + 1)
        break
      case 'ArrowLeft': {
        const parent = placed.get(node.id)?.parent
        if (line.part === 'open') setFolded(node as JsonContainer, true)
        else if (parent) select(parent)
        break
      }
      case 'Enter':
      case ' ':
        if (foldable(node)) setFolded(node, line.part === 'open')
        break
      default:
        return
    }
    // The tree's keys are its own: the event list's arrows must not move as well.
    event.preventDefault()
    event.stopPropagation()
  }

  return (
    <div className="json json-tree" role="tree" aria-label={props.label} data-testid={props.testId}>
      {lines.map((line) => {
        const style = { '--depth': line.depth } as CSSProperties
        if (line.part === 'close') {
          // The brackets that close are drawing only: the levels say where each item belongs.
          return (
            <div key={`${line.node.id}-close`} className="json-line" style={style} aria-hidden="true">
              {line.content}
              {line.comma ? ',' : ''}
            </div>
          )
        }
        const { node } = line
        const placement = placed.get(node.id)
        const selected = node.id === selectedId
        const canFold = foldable(node)
        return (
          <div
            key={node.id}
            ref={(element) => {
              if (element) elements.current.set(node.id, element)
              else elements.current.delete(node.id)
            }}
            className={selected ? 'json-line json-item selected' : 'json-line json-item'}
            style={style}
            role="treeitem"
            aria-level={line.depth + 1}
            aria-setsize={placement?.parent?.children.length ?? 1}
            aria-posinset={placement?.position ?? 1}
            aria-expanded={canFold ? line.part === 'open' : undefined}
            aria-selected={selected}
            tabIndex={node.id === tabStop ? 0 : -1}
            onClick={() => select(node)}
            onKeyDown={(event) => onKeyDown(event, line)}
          >
            {canFold && (
              <span
                className={line.part === 'open' ? 'json-toggle json-toggle-open' : 'json-toggle'}
                aria-hidden="true"
                onClick={() => setFolded(node, line.part === 'open')}
              />
            )}
            <LineContent line={line} />
          </div>
        )
      })}
    </div>
  )
}
