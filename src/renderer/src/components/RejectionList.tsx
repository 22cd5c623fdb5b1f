import type { Rejection } from '@shared/model'
import { formatDateTime, formatWhen } from '../format'
import { useArrowKeySelection, useScrolledIntoView } from '../list-selection'
import { useOutpost } from '../store'

export function requestLine(rejection: Rejection): string {
  return `${rejection.method} ${rejection.url}`
}

function RejectionRow({ rejection, selected }: { rejection: Rejection; selected: boolean }) {
  const select = useOutpost((state) => state.selectRejection)
  const rowRef = useScrolledIntoView<HTMLTableRowElement>(selected)
  return (
    <tr
      ref={rowRef}
      className={selected ? 'event-row selected' : 'event-row'}
      data-testid="rejection-row"
      data-rejection-id={rejection.id}
      aria-selected={selected}
      onClick={() => select(rejection.id)}
    >
      <td className="col-time mono" title={formatDateTime(rejection.at)}>
        {formatWhen(rejection.at)}
      </td>
      <td className="col-destination">{rejection.destination ?? <span className="muted">—</span>}</td>
      <td className="col-request mono" title={requestLine(rejection)}>
        {requestLine(rejection)}
      </td>
      <td className="col-answer num">{rejection.status}</td>
      <td className="col-error" title={rejection.message}>
        {rejection.message}
      </td>
    </tr>
  )
}

function NothingRejected() {
  return (
    <div className="empty" data-testid="rejections-empty">
      <strong>No request was refused.</strong>
      <p className="muted">
        When Outpost refuses a request (an invalid event, a body that is not JSON, a wrong URL or key), the
        app&apos;s SDK may drop it without a word. It is listed here with the reason Outpost answered.
      </p>
    </div>
  )
}

export function RejectionList() {
  const rejections = useOutpost((state) => state.rejections)
  const selectedId = useOutpost((state) => state.selectedRejectionId)
  const move = useOutpost((state) => state.moveRejectionSelection)
  useArrowKeySelection(move)

  return (
    <section className="event-list" aria-label="Rejected requests" tabIndex={0}>
      {rejections.length === 0 ? (
        <NothingRejected />
      ) : (
        <table className="events" role="grid" aria-label="Rejected requests" data-testid="rejection-table">
          <thead>
            <tr>
              <th className="col-time">Received</th>
              <th className="col-destination">Destination</th>
              <th className="col-request">Request</th>
              <th className="col-answer num">Answer</th>
              <th className="col-error">Reason</th>
            </tr>
          </thead>
          <tbody>
            {rejections.map((rejection) => (
              <RejectionRow key={rejection.id} rejection={rejection} selected={rejection.id === selectedId} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}

export function RejectionsToolbar() {
  const count = useOutpost((state) => state.stats?.rejections.count ?? 0)
  const clear = useOutpost((state) => state.clearRejections)
  return (
    <div className="filters">
      <button
        type="button"
        className="button"
        data-testid="clear-rejections"
        disabled={count === 0}
        title="Forget the rejected requests listed here"
        onClick={() => void clear()}
      >
        Clear
      </button>
      <span className="filters-summary muted">
        {count} refused {count === 1 ? 'request' : 'requests'} · the newest 200 are kept until Outpost
        restarts
      </span>
    </div>
  )
}
