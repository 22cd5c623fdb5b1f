import { open, type FileHandle } from 'node:fs/promises'

/**
 * Reads the lines of a file of any size, holding one block and one line at a time: forward, or
 * from the last line to the first (an export is newest first, and an import must store the events
 * oldest first so that each user's order holds). A line longer than the caller's bound is not held:
 * it is reported by its number and size only.
 */

const BLOCK_BYTES = 64 * 1024
const NEWLINE = 0x0a

export interface FileLine {
  /** 1 for the first line of the file, whichever way it is read. */
  number: number
  /** The line without its line end (a CR before the LF stays); null when longer than the bound. */
  bytes: Buffer | null
  /** Its length in bytes, its line end included: what reading it moved through the file. */
  size: number
}

/** A line being put together from the pieces of the blocks it spans, in file order. */
class PendingLine {
  private pieces: Buffer[] = []
  private length = 0
  private overlong = false

  constructor(private readonly maxBytes: number) {}

  add(piece: Buffer, atStart: boolean): void {
    this.length += piece.length
    if (this.overlong || this.length > this.maxBytes) {
      this.overlong = true
      this.pieces = []
      return
    }
    // Copied: the block it is a view of is read into again.
    const copy = Buffer.from(piece)
    if (atStart) this.pieces.unshift(copy)
    else this.pieces.push(copy)
  }

  /** The line so far, and a fresh start for the next one. */
  take(number: number, lineEnd: number): FileLine {
    const line = {
      number,
      bytes: this.overlong ? null : Buffer.concat(this.pieces, this.length),
      size: this.length + lineEnd
    }
    this.pieces = []
    this.length = 0
    this.overlong = false
    return line
  }

  get empty(): boolean {
    return this.length === 0
  }
}

async function readBlock(file: FileHandle, position: number, length: number): Promise<Buffer> {
  const block = Buffer.alloc(length)
  const { bytesRead } = await file.read(block, 0, length, position)
  return block.subarray(0, bytesRead)
}

/** How many lines the file has: its line ends, and one more when the last line has none. */
export async function countLines(path: string): Promise<number> {
  const file = await open(path, 'r')
  try {
    let lines = 0
    let lastByte = NEWLINE
    for (let position = 0; ; position += BLOCK_BYTES) {
      const block = await readBlock(file, position, BLOCK_BYTES)
      if (block.length === 0) break
      for (let at = block.indexOf(NEWLINE); at !== -1; at = block.indexOf(NEWLINE, at + 1)) lines++
      lastByte = block[block.length - 1] as number
    }
    return lastByte === NEWLINE ? lines : lines + 1
  } finally {
    await file.close()
  }
}

/** The lines of the file, first to last. */
export async function* linesForward(path: string, maxLineBytes: number): AsyncGenerator<FileLine> {
  const file = await open(path, 'r')
  try {
    const line = new PendingLine(maxLineBytes)
    let number = 1
    for (let position = 0; ; position += BLOCK_BYTES) {
      const block = await readBlock(file, position, BLOCK_BYTES)
      if (block.length === 0) break
      let start = 0
      for (let end = block.indexOf(NEWLINE); end !== -1; end = block.indexOf(NEWLINE, start)) {
        line.add(block.subarray(start, end), false)
        yield line.take(number++, 1)
        start = end + 1
      }
      line.add(block.subarray(start), false)
    }
    if (!line.empty) yield line.take(number, 0)
  } finally {
    await file.close()
  }
}

/** The lines of the file, last to first; `lineCount` (countLines) numbers them. */
export async function* linesBackward(
  path: string,
  maxLineBytes: number,
  lineCount: number
): AsyncGenerator<FileLine> {
  const file = await open(path, 'r')
  try {
    const { size } = await file.stat()
    const line = new PendingLine(maxLineBytes)
    let number = lineCount
    // The line end that closes the line being put together: none after the file's last line.
    let lineEnd = 0
    let atEnd = true
    for (let position = size; position > 0;) {
      const start = Math.max(0, position - BLOCK_BYTES)
      const block = await readBlock(file, start, position - start)
      let end = block.length
      for (
        let at = block.lastIndexOf(NEWLINE, end - 1);
        at !== -1;
        at = end > 0 ? block.lastIndexOf(NEWLINE, end - 1) : -1
      ) {
        line.add(block.subarray(at + 1, end), true)
        // The file's own last line end closes the last line: nothing follows it.
        if (!(atEnd && line.empty)) yield line.take(number--, lineEnd)
        atEnd = false
        lineEnd = 1
        end = at
      }
      line.add(block.subarray(0, end), true)
      if (end > 0) atEnd = false
      position = start
    }
    if (!atEnd) yield line.take(number, lineEnd)
  } finally {
    await file.close()
  }
}
