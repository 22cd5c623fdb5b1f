import type { EventStatus } from '@shared/model'

export function StatusChip({ status }: { status: EventStatus }) {
  return <span className={`chip chip-${status}`}>{status}</span>
}
