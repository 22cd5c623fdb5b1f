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
