/**
 * RFC 4180, strictly: records end in CRLF, a field with a quote, comma or line break is quoted and
 * its quotes doubled. Throws on anything else (a bare quote in an unquoted field, an unclosed
 * quote, a lone CR or LF between records), so a test fails on text a spreadsheet would misread.
 */
export function parseCsv(text: string): string[][] {
  const records: string[][] = []
  let record: string[] = []
  let at = 0
  for (;;) {
    let field = ''
    if (text[at] === '"') {
      at++
      for (;;) {
        const quote = text.indexOf('"', at)
        if (quote < 0) throw new Error(`unclosed quote in record ${records.length + 1}`)
        field += text.slice(at, quote)
        at = quote + 1
        if (text[at] !== '"') break
        field += '"'
        at++
      }
    } else {
      const end = text.slice(at).search(/[,\r\n]/)
      field = end < 0 ? text.slice(at) : text.slice(at, at + end)
      if (field.includes('"')) throw new Error(`a quote in an unquoted field: ${field}`)
      at += field.length
    }
    record.push(field)
    if (text[at] === ',') {
      at++
      continue
    }
    if (text.startsWith('\r\n', at)) {
      records.push(record)
      record = []
      at += 2
      if (at === text.length) return records
      continue
    }
    throw new Error(`expected a comma or CRLF at ${at}, found ${JSON.stringify(text.slice(at, at + 10))}`)
  }
}
