import { CopyButton } from './CopyButton'

export function CopyJsonButton({ json }: { json: string }) {
  return (
    <CopyButton
      text={() => json}
      label="Copy JSON"
      what="this event, its payloads and attempts as JSON"
      testId="copy-json"
    />
  )
}
