/** A link-styled button that shows or hides something beside it (a diff, a long body). */
export function DisclosureButton(props: {
  open: boolean
  onToggle(): void
  show: string
  hide: string
  testId?: string
  /** The id of what it shows, for a screen reader (aria-controls). */
  controls?: string
}) {
  return (
    <button
      type="button"
      className="link-button"
      aria-expanded={props.open}
      aria-controls={props.open ? props.controls : undefined}
      data-testid={props.testId}
      onClick={props.onToggle}
    >
      {props.open ? props.hide : props.show}
    </button>
  )
}
