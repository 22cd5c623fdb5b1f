import { useState } from 'react'
import { curlCommand } from '@shared/curl'
import type { RequestPreview } from '@shared/model'
import { useOutpost } from '../store'
import { CopyButton } from './CopyButton'
import { DisclosureButton } from './DisclosureButton'

/** A request's command as shown: fetched when a person asks to see it, never with the key. */
function ShownCommand({ preview, testId }: { preview: RequestPreview; testId: string }) {
  return (
    <>
      <pre className="json curl-command" tabIndex={0} aria-label="curl command" data-testid={testId}>
        {curlCommand(preview)}
      </pre>
      {preview.notes.length > 0 && (
        <ul className="curl-notes" data-testid={`${testId}-notes`}>
          {preview.notes.map((note) => (
            <li key={note}>{note}</li>
          ))}
        </ul>
      )}
    </>
  )
}

function useShownPreview(load: () => Promise<RequestPreview | null>) {
  const [shown, setShown] = useState<RequestPreview | null>(null)
  const toggle = async (): Promise<void> => setShown(shown ? null : await load())
  return { shown, toggle }
}

function UpstreamRequest({ eventId, destinationLabel }: { eventId: number; destinationLabel: string }) {
  const preview = useOutpost((state) => state.previewUpstreamRequest)
  const masked = () => preview(eventId, false)
  const { shown, toggle } = useShownPreview(masked)
  const commandOf = async (revealKey: boolean) => {
    const request = await preview(eventId, revealKey)
    return request && curlCommand(request)
  }
  return (
    <div className="curl-request">
      <p>
        <strong>Upstream request</strong>: what Outpost sends {destinationLabel} for this event, built as
        delivery builds it. The vendor key is masked unless you copy it with the key.
      </p>
      <div className="curl-actions">
        <CopyButton
          text={() => commandOf(false)}
          label="Copy as curl"
          what="the upstream request as a curl command, the vendor key masked"
          testId="curl-upstream-copy"
        />
        <CopyButton
          text={() => commandOf(true)}
          label="Copy with the key"
          what="the upstream request as a curl command with the real vendor key: keep it to yourself"
          testId="curl-upstream-copy-key"
        />
        <DisclosureButton
          open={shown !== null}
          onToggle={() => void toggle()}
          show="Show command"
          hide="Hide command"
          testId="curl-upstream-show"
        />
      </div>
      {shown && <ShownCommand preview={shown} testId="curl-upstream" />}
    </div>
  )
}

function IngestRequest({ eventId }: { eventId: number }) {
  const preview = useOutpost((state) => state.previewIngestRequest)
  const load = () => preview(eventId)
  const { shown, toggle } = useShownPreview(load)
  const command = async () => {
    const request = await load()
    return request && curlCommand(request)
  }
  return (
    <div className="curl-request">
      <p>
        <strong>Ingest request</strong>, reconstructed: the app&apos;s call to Outpost as the one-event route
        of this vendor, with the payload as received. The app may have sent it in a batch, with headers of its
        own; pasting it stores the event again unless its vendor deduplicates it.
      </p>
      <div className="curl-actions">
        <CopyButton
          text={command}
          label="Copy as curl"
          what="the ingest request, reconstructed, as a curl command"
          testId="curl-ingest-copy"
        />
        <DisclosureButton
          open={shown !== null}
          onToggle={() => void toggle()}
          show="Show command"
          hide="Hide command"
          testId="curl-ingest-show"
        />
      </div>
      {shown && <ShownCommand preview={shown} testId="curl-ingest" />}
    </div>
  )
}

/** *Copy as curl* for the two requests an event makes: upstream from Outpost, and in from the app. */
export function CopyAsCurl({ eventId, destinationLabel }: { eventId: number; destinationLabel: string }) {
  return (
    <section className="detail-section" data-testid="copy-as-curl">
      <h3>Copy as curl</h3>
      <UpstreamRequest eventId={eventId} destinationLabel={destinationLabel} />
      <IngestRequest eventId={eventId} />
    </section>
  )
}
