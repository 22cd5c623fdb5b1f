import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { countLines, linesBackward, linesForward, type FileLine } from '../../src/main/admin/file-lines'
import { tempDir } from '../support/temp'

const dir = tempDir('outpost-file-lines')
afterAll(() => dir.remove())

let files = 0
function fileOf(content: string | Buffer): string {
  const path = join(dir.path, `lines-${files++}.txt`)
  writeFileSync(path, content)
  return path
}

async function collect(lines: AsyncGenerator<FileLine>) {
  const read: { number: number; text: string | null; size: number }[] = []
  for await (const line of lines)
    read.push({ number: line.number, text: line.bytes?.toString() ?? null, size: line.size })
  return read
}

const both = async (content: string, maxLineBytes = 1 << 20) => {
  const path = fileOf(content)
  const count = await countLines(path)
  return {
    count,
    forward: await collect(linesForward(path, maxLineBytes)),
    backward: await collect(linesBackward(path, maxLineBytes, count))
  }
}

describe('reading a file line by line, either way', () => {
  it('numbers lines from the first, without their line end, whether or not the file ends with one', async () => {
    for (const content of ['a\nbb\nccc\n', 'a\nbb\nccc']) {
      const { count, forward, backward } = await both(content)
      expect(count).toBe(3)
      expect(forward.map(({ number, text }) => [number, text])).toEqual([
        [1, 'a'],
        [2, 'bb'],
        [3, 'ccc']
      ])
      expect(backward).toEqual([...forward].reverse())
      // Every byte of the file is accounted for by one line.
      expect(forward.reduce((sum, line) => sum + line.size, 0)).toBe(content.length)
    }
  })

  it('keeps blank lines and a CR before the LF, and reads nothing from an empty file', async () => {
    const { count, forward, backward } = await both('a\r\n\n\nb\n')
    expect(count).toBe(4)
    expect(forward.map((line) => line.text)).toEqual(['a\r', '', '', 'b'])
    expect(backward).toEqual([...forward].reverse())
    expect(await both('')).toEqual({ count: 0, forward: [], backward: [] })
    const newlineOnly = await both('\n')
    expect(newlineOnly.forward).toEqual([{ number: 1, text: '', size: 1 }])
    expect(newlineOnly.backward).toEqual(newlineOnly.forward)
  })

  it('puts lines together across blocks, and reports a line over the bound by its number and size alone', async () => {
    const long = 'x'.repeat(200_000)
    const middle = `${'y'.repeat(65_535)}é`
    const content = `first\n${long}\n${middle}\nlast`
    const { forward, backward } = await both(content, 150_000)
    expect(forward).toEqual([
      { number: 1, text: 'first', size: 6 },
      { number: 2, text: null, size: 200_001 },
      { number: 3, text: middle, size: Buffer.byteLength(middle) + 1 },
      { number: 4, text: 'last', size: 4 }
    ])
    expect(backward).toEqual([...forward].reverse())
  })

  it('counts the lines of a file of many blocks', async () => {
    const lines = Array.from({ length: 30_000 }, (_, i) => `{"id":${i}}`)
    const path = fileOf(`${lines.join('\n')}\n`)
    expect(await countLines(path)).toBe(30_000)
    const backward = await collect(linesBackward(path, 1024, 30_000))
    expect(backward.map((line) => line.text)).toEqual([...lines].reverse())
    expect(backward.at(-1)?.number).toBe(1)
  })
})
