import type { EventSummary } from '@shared/model'
import { formatDateTime, formatWhen } from '../format'
import { StatusChip } from './StatusChip'

interface EventRowProps {
  event: EventSummary
  /** Its place among the table's rows, header first: the table renders only the rows in view. */
  rowIndex: number
  /** Whether Tab reaches it: the list is one tab stop (roving-grid.ts). */
  tabStop: boolean
  selected: boolean
  checked: boolean
  onSelect(id: number): void
  onCheck(id: number): void
}

export function EventRow({ event, rowIndex, tabStop, selected, checked, onSelect, onCheck }: EventRowProps) {
  return (
    <tr
      className={selected ? 'event-row selected' : 'event-row'}
      data-testid="event-row"
      data-event-id={event.id}
      data-row-id={event.id}
      aria-rowindex={rowIndex}
      tabIndex={tabStop ? 0 : -1}
      data-status={event.status}
      aria-selected={selected}
      onClick={() => onSelect(event.id)}
    >
      {/* Ticking is not opening: the click stays in its cell. */}
      <td className="col-check" onClick={(click) => click.stopPropagation()}>
        <input
          type="checkbox"
          aria-label={`Select event #${event.id}`}
          data-testid="event-check"
          tabIndex={-1}
          checked={checked}
          onChange={() => onCheck(event.id)}
        />
      </td>
      <td className="col-time mono" title={formatDateTime(event.receivedAt)}>
        {formatWhen(event.receivedAt)}
      </td>
      <td className="col-destination">{event.destination}</td>
      <td className="col-name" title={event.name}>
        {event.name}
      </td>
      <td className="col-user mono" title={event.userKey ?? undefined}>
        {event.userKey ?? <span className="muted">—</span>}
      </td>
      <td className="col-status">
        <StatusChip status={event.status} />
      </td>
      <td className="col-attempts num">{event.attempts}</td>
      <td className="col-error" title={event.lastError ?? undefined}>
        {event.lastError ?? ''}
      </td>
    </tr>
  )
}
