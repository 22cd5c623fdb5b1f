import { useEffect, useRef, useState, type ReactNode } from 'react'
import {
  ACTIVITY_RANGES,
  type ActivityBucket,
  type ActivityRange,
  type ActivityReport,
  type DestinationActivity
} from '@shared/activity'
import {
  activitySummary,
  activityTotals,
  bucketTime,
  bucketWords,
  eventfulBuckets,
  notRunningStretches,
  RANGE_WORDS
} from '../activity-chart'
import { describeError } from '../api'
import { useActivityRange } from '../activity-range'
import { formatCount } from '../format'
import { useOutpost } from '../store'

/** The flow chart's height in its own units (= CSS px): events in above the middle, out below. */
const FLOW_HEIGHT = 64
const FLOW_MIDDLE = FLOW_HEIGHT / 2
const BACKLOG_HEIGHT = 28
/** A bar's share of its bucket's width: the rest separates it from the next. */
const BAR_WIDTH = 0.8

/** Hour or day: a pair of toggle buttons in the toolbar. */
export function ActivityRangeSwitch() {
  const { range, setRange } = useActivityRange()
  return (
    <div className="tabs" role="group" aria-label="Time range of the charts">
      {ACTIVITY_RANGES.map((option) => (
        <button
          key={option}
          type="button"
          className={option === range ? 'tab selected' : 'tab'}
          aria-pressed={option === range}
          data-testid={`activity-range-${option}`}
          onClick={() => setRange(option)}
        >
          {RANGE_WORDS[option].label}
        </button>
      ))}
    </div>
  )
}

/** The report of the range, read again at every poll of the stats (once a second): live. */
function useActivityReport(range: ActivityRange): { report: ActivityReport | null; problem: string | null } {
  const loadActivity = useOutpost((state) => state.loadActivity)
  const polled = useOutpost((state) => state.stats)
  const [report, setReport] = useState<ActivityReport | null>(null)
  const [problem, setProblem] = useState<string | null>(null)
  const latestRequest = useRef(0)
  useEffect(() => {
    const request = ++latestRequest.current
    loadActivity(range).then(
      (answer) => {
        if (request !== latestRequest.current) return
        setReport(answer)
        setProblem(null)
      },
      (error: unknown) => {
        if (request === latestRequest.current) setProblem(describeError(error))
      }
    )
  }, [loadActivity, range, polled])
  return { report: report?.range === range ? report : null, problem }
}

/** A bucket's share of the chart's height, never 0 for a count above 0 (one event stays visible). */
function barHeight(value: number, peak: number, height: number): number {
  if (value === 0 || peak === 0) return 0
  return Math.max(1, (value / peak) * height)
}

/** Where Outpost was not running: a shaded band the height of the chart for each stretch. */
function NotRunning({ buckets, height }: { buckets: ActivityBucket[]; height: number }) {
  return (
    <>
      {notRunningStretches(buckets).map(([first, length]) => (
        <rect key={first} className="activity-not-running" x={first} y={0} width={length} height={height} />
      ))}
    </>
  )
}

/** A bucket while Outpost was running: it has a backlog. */
type RunningBucket = ActivityBucket & { backlog: number }
const wasRunning = (bucket: ActivityBucket): bucket is RunningBucket => bucket.backlog !== null

/** One series' bar in a bucket; nothing where the series counted nothing. */
function Bar({
  series,
  x,
  y,
  width,
  height
}: {
  series: 'received' | 'delivered' | 'failed' | 'backlog'
  x: number
  y: number
  width: number
  height: number
}) {
  return height > 0 ? (
    <rect className={`activity-${series}`} x={x} y={y} width={width} height={height} />
  ) : null
}

/**
 * A chart of one column a bucket: where Outpost was not running, each running bucket's title and
 * hover band around the bars `barsOf` draws, and the axis at `axisY`.
 */
function BucketChart({
  buckets,
  height,
  axisY,
  barsOf
}: {
  buckets: ActivityBucket[]
  height: number
  axisY: number
  barsOf: (bucket: RunningBucket, index: number) => ReactNode
}) {
  return (
    <svg
      className="activity-svg"
      viewBox={`0 0 ${buckets.length} ${height}`}
      preserveAspectRatio="none"
      height={height}
      aria-hidden="true"
    >
      <NotRunning buckets={buckets} height={height} />
      {buckets.map((bucket, index) =>
        wasRunning(bucket) ? (
          <g key={bucket.start}>
            <title>{bucketWords(bucket)}</title>
            <rect className="activity-hover" x={index} y={0} width={1} height={height} />
            {barsOf(bucket, index)}
          </g>
        ) : null
      )}
      <line
        className="activity-axis"
        x1={0}
        x2={buckets.length}
        y1={axisY}
        y2={axisY}
        vectorEffect="non-scaling-stroke"
      />
    </svg>
  )
}

/** Events in above the middle; delivered, then failed, below it. */
function FlowChart({ buckets, peak }: { buckets: ActivityBucket[]; peak: number }) {
  const half = FLOW_MIDDLE - 1
  return (
    <BucketChart
      buckets={buckets}
      height={FLOW_HEIGHT}
      axisY={FLOW_MIDDLE}
      barsOf={(bucket, index) => {
        const received = barHeight(bucket.received, peak, half)
        const delivered = barHeight(bucket.delivered, peak, half)
        const failed = barHeight(bucket.failed, peak, half)
        const x = index + (1 - BAR_WIDTH) / 2
        return (
          <>
            <Bar series="received" x={x} y={FLOW_MIDDLE - received} width={BAR_WIDTH} height={received} />
            <Bar series="delivered" x={x} y={FLOW_MIDDLE} width={BAR_WIDTH} height={delivered} />
            <Bar series="failed" x={x} y={FLOW_MIDDLE + delivered} width={BAR_WIDTH} height={failed} />
          </>
        )
      }}
    />
  )
}

/** The backlog at each bucket's end, from the bottom up, bars touching. */
function BacklogChart({ buckets, peak }: { buckets: ActivityBucket[]; peak: number }) {
  return (
    <BucketChart
      buckets={buckets}
      height={BACKLOG_HEIGHT}
      axisY={BACKLOG_HEIGHT}
      barsOf={(bucket, index) => {
        const height = barHeight(bucket.backlog, peak, BACKLOG_HEIGHT)
        return <Bar series="backlog" x={index} y={BACKLOG_HEIGHT - height} width={1} height={height} />
      }}
    />
  )
}

/** The totals, each beside its series' colour: the charts' legend. */
function Totals({ id, buckets }: { id: string; buckets: ActivityBucket[] }) {
  const totals = activityTotals(buckets)
  const items: [string, string, string][] = [
    ['received', 'In', formatCount(totals.received)],
    ['delivered', 'Delivered', formatCount(totals.delivered)],
    ['failed', 'Failed', formatCount(totals.failed)],
    ['backlog', 'Backlog now', totals.backlogNow === null ? '—' : formatCount(totals.backlogNow)]
  ]
  return (
    <dl className="activity-totals">
      {items.map(([series, label, value]) => (
        <div key={series} className="activity-total">
          <dt>
            <span className={`activity-swatch activity-swatch-${series}`} aria-hidden="true" />
            {label}
          </dt>
          <dd data-testid={`activity-${id}-${series}`}>{value}</dd>
        </div>
      ))}
    </dl>
  )
}

/** The chart's numbers for a screen reader: the buckets where something happened. */
function ChartTable({ chart, range }: { chart: DestinationActivity; range: ActivityRange }) {
  const rows = eventfulBuckets(chart.buckets)
  return (
    // The class on a wrapper: a table grows to its content whatever width it is given.
    <div className="visually-hidden">
      <table>
        <caption>
          {chart.destination}, {RANGE_WORDS[range].span}, by {RANGE_WORDS[range].bucket}; only those where
          events came in or out or the backlog changed
        </caption>
        <thead>
          <tr>
            <th scope="col">From</th>
            <th scope="col">In</th>
            <th scope="col">Delivered</th>
            <th scope="col">Failed</th>
            <th scope="col">Backlog</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((bucket) => (
            <tr key={bucket.start}>
              <th scope="row">{bucketTime(bucket.start)}</th>
              <td>{formatCount(bucket.received)}</td>
              <td>{formatCount(bucket.delivered)}</td>
              <td>{formatCount(bucket.failed)}</td>
              <td>{bucket.backlog === null ? 'not running' : formatCount(bucket.backlog)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

function DestinationChart({ chart, range }: { chart: DestinationActivity; range: ActivityRange }) {
  const { destination: id, buckets } = chart
  const totals = activityTotals(buckets)
  const words = RANGE_WORDS[range]
  return (
    <figure className="activity-card" data-testid={`activity-${id}`} data-buckets={buckets.length}>
      <figcaption className="activity-caption">
        <span className="destination-id">{id}</span>
        <Totals id={id} buckets={buckets} />
      </figcaption>
      <div className="activity-charts" role="img" aria-label={activitySummary(id, range, buckets)}>
        <div className="activity-chart-label" aria-hidden="true">
          <span>In ↑ · out ↓ a {words.bucket}</span>
          <span>peak {formatCount(totals.flowPeak)}</span>
        </div>
        <FlowChart buckets={buckets} peak={totals.flowPeak} />
        <div className="activity-chart-label" aria-hidden="true">
          <span>Backlog</span>
          <span>peak {formatCount(totals.backlogPeak)}</span>
        </div>
        <BacklogChart buckets={buckets} peak={totals.backlogPeak} />
        <div className="activity-time-axis" aria-hidden="true">
          <span>{words.start}</span>
          {totals.notRunning > 0 && (
            <span>
              <span className="activity-swatch activity-swatch-not-running" />
              Outpost not running
            </span>
          )}
          <span>now</span>
        </div>
      </div>
      <ChartTable chart={chart} range={range} />
    </figure>
  )
}

/** Each destination's events in and out and its backlog over the range, live. */
export function ActivityView() {
  const range = useActivityRange((state) => state.range)
  const { report, problem } = useActivityReport(range)
  return (
    <section className="activity" aria-label="Activity" data-testid="activity-view">
      {problem && (
        <p className="text-error" role="alert">
          The activity could not be read: {problem}
        </p>
      )}
      {report === null ? (
        !problem && <p className="muted">Reading the activity…</p>
      ) : (
        <div className="activity-grid">
          {report.destinations.map((chart) => (
            <DestinationChart key={chart.destination} chart={chart} range={range} />
          ))}
        </div>
      )}
    </section>
  )
}
