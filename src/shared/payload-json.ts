import { parseTree, type Node } from 'jsonc-parser'
import type { EventDetail } from './model'

/**
 * Payloads are the client's own JSON text. The UI shows them without changing a value: every
 * number as written (integers beyond 2^53, `1.0`, `1e3`), which JSON.parse would round or
 * rewrite, every key in the order written, a repeated key as often as it was written. So the tree
 * is read from the text's positions (jsonc-parser's scanner, after JSON.parse has accepted the
 * text as strict JSON), and each value keeps its exact text.
 */

/** A key of an object or an index of an array, from the root down. */
export type JsonPathSegment = string | number

interface JsonNodeBase {
  /** Its place in document order: stable for one text, so it names the node in the UI. */
  id: number
  path: JsonPathSegment[]
  /** The value exactly as written in the text: what *Copy value* copies. */
  text: string
}

export interface JsonContainer extends JsonNodeBase {
  kind: 'object' | 'array'
  children: JsonNode[]
}

export interface JsonScalar extends JsonNodeBase {
  kind: 'scalar'
  /** As the pretty print writes it: a number or literal as written, a string quoted anew. */
  display: string
}

export type JsonNode = JsonContainer | JsonScalar

/** The value tree of a JSON text; throws a SyntaxError when the text is not strict JSON. */
export function parseJsonTree(text: string): JsonNode {
  JSON.parse(text)
  const root = parseTree(text)
  if (!root) throw new SyntaxError('empty JSON text')
  let nextId = 0
  const convert = (node: Node, path: JsonPathSegment[]): JsonNode => {
    const base = { id: nextId++, path, text: text.slice(node.offset, node.offset + node.length) }
    if (node.type === 'object') {
      const children = (node.children ?? []).map((property) => {
        const [key, value] = property.children as [Node, Node]
        return convert(value, [...path, key.value as string])
      })
      return { ...base, kind: 'object', children }
    }
    if (node.type === 'array') {
      const children = (node.children ?? []).map((element, index) => convert(element, [...path, index]))
      return { ...base, kind: 'array', children }
    }
    // A string's escapes are written anew (as JSON.stringify does, and lossless-json, which the UI
    // used before, did); its value is unchanged. Numbers and literals keep their text.
    const display = node.type === 'string' ? JSON.stringify(node.value) : base.text
    return { ...base, kind: 'scalar', display }
  }
  return convert(root, [])
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/

/**
 * A node's path as a person writes it in JavaScript or jq-like tools: `properties.items[2].sku`,
 * a key that is not a plain name quoted in brackets (`properties["first name"]`); '' for the root.
 */
export function jsonPath(path: JsonPathSegment[]): string {
  return path
    .map((segment, position) => {
      if (typeof segment === 'number') return `[${segment}]`
      if (!IDENTIFIER.test(segment)) return `[${JSON.stringify(segment)}]`
      return position === 0 ? segment : `.${segment}`
    })
    .join('')
}

/**
 * One line of the pretty print. `open` starts an unfolded object or array, `close` ends it,
 * `folded` stands for the whole of one, `value` is a scalar or an empty object or array.
 */
export interface JsonLine {
  node: JsonNode
  part: 'value' | 'open' | 'folded' | 'close'
  depth: number
  /** `"key": ` for a member of an object; '' for an array's element, the root, a closing bracket. */
  label: string
  /** `"text"`, `1.0`, `{`, `[`, `{…}`, `[…]`, `}`, `]`, `{}`, `[]` */
  content: string
  comma: boolean
}

const BRACKETS = { object: ['{', '}'], array: ['[', ']'] } as const

/** The lines of the pretty print, with each object or array unfolded only when `isOpen` says so. */
export function jsonLines(root: JsonNode, isOpen: (node: JsonContainer) => boolean): JsonLine[] {
  const lines: JsonLine[] = []
  const add = (node: JsonNode, depth: number, label: string, comma: boolean): void => {
    if (node.kind === 'scalar') {
      lines.push({ node, part: 'value', depth, label, content: node.display, comma })
      return
    }
    const [open, close] = BRACKETS[node.kind]
    if (node.children.length === 0) {
      lines.push({ node, part: 'value', depth, label, content: open + close, comma })
    } else if (!isOpen(node)) {
      lines.push({ node, part: 'folded', depth, label, content: `${open}…${close}`, comma })
    } else {
      lines.push({ node, part: 'open', depth, label, content: open, comma: false })
      node.children.forEach((child, index) => {
        const key = child.path[child.path.length - 1]
        const childLabel = node.kind === 'object' ? `${JSON.stringify(key)}: ` : ''
        add(child, depth + 1, childLabel, index < node.children.length - 1)
      })
      lines.push({ node, part: 'close', depth, label: '', content: close, comma })
    }
  }
  add(root, 0, '', false)
  return lines
}

/** A line as text, indented by two spaces a level. */
export function lineText(line: JsonLine): string {
  return `${'  '.repeat(line.depth)}${line.label}${line.content}${line.comma ? ',' : ''}`
}

/**
 * Pretty-prints JSON text without changing a value, a key's place, or a repeated key: the lines
 * of its tree, all unfolded. Throws a SyntaxError when the text is not JSON.
 */
export function prettyJson(text: string): string {
  return jsonLines(parseJsonTree(text), () => true)
    .map(lineText)
    .join('\n')
}

/** Where a payload goes in the event's JSON: a string JSON.stringify writes as is, and no payload holds. */
const PAYLOAD_SLOT = { receivedPayload: '\u0000receivedPayload\u0000', payload: '\u0000payload\u0000' }

/**
 * An event with its payloads as pretty JSON (embedded as JSON, not strings): the rest of the
 * event is written by JSON.stringify, each payload is its own pretty print set in its place, so
 * every number, key and repeated key stays as the client wrote it.
 */
export function eventJson(detail: EventDetail): string {
  const skeleton = JSON.stringify({ ...detail, ...PAYLOAD_SLOT }, null, 2)
  const embedded = (text: string) => prettyJson(text).replace(/\n/g, '\n  ')
  return skeleton
    .replace(JSON.stringify(PAYLOAD_SLOT.receivedPayload), () => embedded(detail.receivedPayload))
    .replace(JSON.stringify(PAYLOAD_SLOT.payload), () => embedded(detail.payload))
}
