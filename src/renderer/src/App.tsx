import { useEffect, type ComponentType } from 'react'
import { ActivityRangeSwitch, ActivityView } from './components/ActivityView'
import { ConnectionNotice, ErrorBanner, NoticeBanner } from './components/Banners'
import { DestinationsStrip } from './components/DestinationsStrip'
import { ErrorBoundary } from './components/ErrorBoundary'
import { EventDetailPane } from './components/EventDetailPane'
import { EventList } from './components/EventList'
import { Filters } from './components/Filters'
import { RejectionDetailPane } from './components/RejectionDetailPane'
import { RejectionList, RejectionsToolbar } from './components/RejectionList'
import { ShortcutsDialog } from './components/ShortcutsDialog'
import { TokenForm } from './components/TokenForm'
import { TopBar } from './components/TopBar'
import { ViewTabs } from './components/ViewTabs'
import { useOutpost, type View } from './store'

/** Which pane a narrow window shows: the detail once something is selected, else the list. */
function workspaceClass(hasSelection: boolean): string {
  return hasSelection ? 'workspace workspace-has-selection' : 'workspace'
}

function EventsWorkspace() {
  const hasSelection = useOutpost((state) => state.selectedId !== null)
  return (
    <div className={workspaceClass(hasSelection)}>
      <ErrorBoundary area="event list">
        <EventList />
      </ErrorBoundary>
      <ErrorBoundary area="event detail">
        <EventDetailPane />
      </ErrorBoundary>
    </div>
  )
}

function RejectionsWorkspace() {
  const hasSelection = useOutpost((state) => state.selectedRejectionId !== null)
  return (
    <div className={workspaceClass(hasSelection)}>
      <ErrorBoundary area="rejected requests">
        <RejectionList />
      </ErrorBoundary>
      <ErrorBoundary area="rejected request">
        <RejectionDetailPane />
      </ErrorBoundary>
    </div>
  )
}

/** Each view's controls beside the tabs, and what it shows below them. */
const VIEWS: Record<View, { Toolbar: ComponentType; Workspace: ComponentType }> = {
  events: { Toolbar: Filters, Workspace: EventsWorkspace },
  rejected: { Toolbar: RejectionsToolbar, Workspace: RejectionsWorkspace },
  activity: { Toolbar: ActivityRangeSwitch, Workspace: ActivityWorkspace }
}

function ActivityWorkspace() {
  return (
    <ErrorBoundary area="activity">
      <ActivityView />
    </ErrorBoundary>
  )
}

function Dashboard() {
  const { Toolbar, Workspace } = VIEWS[useOutpost((state) => state.view)]
  return (
    <>
      <ErrorBoundary area="destinations">
        <DestinationsStrip />
      </ErrorBoundary>
      <div className="toolbar">
        <ViewTabs />
        <Toolbar />
      </div>
      <Workspace />
    </>
  )
}

function Waiting({ children }: { children: string }) {
  return (
    <div className="center-page">
      <p className="muted">{children}</p>
    </div>
  )
}

function Body() {
  const appState = useOutpost((state) => state.appState)
  const eventsLoaded = useOutpost((state) => state.eventsLoaded)
  if (appState === 'auth') return <TokenForm />
  // Once there is data, keep showing it through a lost connection; the notice says it is stale.
  if (eventsLoaded) return <Dashboard />
  if (appState === 'error') return <Waiting>Waiting for the collector to answer…</Waiting>
  return <Waiting>Connecting to the collector…</Waiting>
}

export function App() {
  const startLiveUpdates = useOutpost((state) => state.startLiveUpdates)
  useEffect(() => startLiveUpdates(), [startLiveUpdates])

  return (
    <div className="app">
      <TopBar />
      <ConnectionNotice />
      <ErrorBanner />
      <NoticeBanner />
      <main className="app-body">
        <Body />
      </main>
      <ShortcutsDialog />
    </div>
  )
}
