import { isUtf8 } from 'node:buffer'

const REPLACEMENT = '\uFFFD'

export type DecodedBody =
  | { ok: true; text: string }
  /** `text` shows each bad byte as U+FFFD, for the Rejected view; `invalidAt` is the first one's offset. */
  | { ok: false; text: string; invalidAt: number }

/**
 * Reads a body as UTF-8, the only encoding JSON has (RFC 8259). A lenient decode would turn bad
 * bytes into U+FFFD and store an event that is not what the client sent, so they are refused.
 */
export function decodeUtf8(bytes: Buffer): DecodedBody {
  const text = bytes.toString('utf8')
  if (isUtf8(bytes)) return { ok: true, text }
  return { ok: false, text, invalidAt: firstInvalidByte(bytes, text) }
}

/**
 * The offset of the first byte that is not UTF-8. The text before the first U+FFFD that the
 * decoder made (not one the client wrote as EF BF BD) is valid, so its encoded length is that offset.
 */
function firstInvalidByte(bytes: Buffer, text: string): number {
  let offset = 0
  let scanned = 0
  for (let index = text.indexOf(REPLACEMENT); index >= 0; index = text.indexOf(REPLACEMENT, index + 1)) {
    offset += Buffer.byteLength(text.slice(scanned, index))
    scanned = index
    const written = bytes[offset] === 0xef && bytes[offset + 1] === 0xbf && bytes[offset + 2] === 0xbd
    if (!written) return offset
  }
  return offset
}
