const pad = (value: number, width = 2): string => String(value).padStart(width, '0')

function parse(iso: string | null): Date | null {
  if (iso === null) return null
  const date = new Date(iso)
  return Number.isNaN(date.getTime()) ? null : date
}

/** Local wall-clock time with milliseconds: events arrive faster than one a second. */
export function formatClock(iso: string | null): string {
  const date = parse(iso)
  if (!date) return '—'
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

const sameLocalDay = (a: Date, b: Date) =>
  a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate()

/**
 * A time in a list, short but never ambiguous, in the local zone: today the clock alone
 * (`14:03:05.123`), another day with its date (`Nov 22 14:03:05`), another year with the year
 * and to the minute (`Nov 22 2025 14:03`). After a week offline a bare clock would read as today.
 */
export function formatWhen(iso: string | null, now: Date = new Date()): string {
  const date = parse(iso)
  if (!date) return '—'
  if (sameLocalDay(date, now)) return formatClock(iso)
  const day = `${MONTHS[date.getMonth()]} ${date.getDate()}`
  const minutes = `${pad(date.getHours())}:${pad(date.getMinutes())}`
  if (date.getFullYear() !== now.getFullYear()) return `${day} ${date.getFullYear()} ${minutes}`
  return `${day} ${minutes}:${pad(date.getSeconds())}`
}

export function formatDateTime(iso: string | null): string {
  const date = parse(iso)
  if (!date) return '—'
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${formatClock(iso)}`
}

export function truncate(text: string, length: number): string {
  return text.length <= length ? text : `${text.slice(0, length - 1)}…`
}

/** A count with the reader's digit grouping: 123,456 reads at a glance, 123456 does not. */
export function formatCount(count: number): string {
  return count.toLocaleString()
}

/** A size as people read it: `512 bytes`, `9.2 KB`, `212 KB`, `4.8 MB` (1 KB = 1,024 bytes). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} ${bytes === 1 ? 'byte' : 'bytes'}`
  const [value, unit] = bytes < 1024 * 1024 ? [bytes / 1024, 'KB'] : [bytes / (1024 * 1024), 'MB']
  return `${value < 10 ? Math.round(value * 10) / 10 : Math.round(value)} ${unit}`
}

/** The UTF-8 size of a text, as the collector counts a body's bytes. */
export function utf8Bytes(text: string): number {
  return new TextEncoder().encode(text).length
}

/** An event's place in a batch, counted from 1 as people count: `Event 437 of 500`. */
export function eventOfBatch(index: number, batchSize: number | null): string {
  return batchSize === null ? `Event ${index + 1}` : `Event ${index + 1} of ${batchSize}`
}
