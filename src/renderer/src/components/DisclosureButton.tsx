/** A link-styled button that shows or hides something beside it (a diff, a long body). */
export function DisclosureButton(props: {
  open: boolean
  onToggle(): void
  show: string
  hide: string
  testId?: string
}) {
  return (
    <button
      type="button"
      className="link-button"
      aria-expanded={props.open}
      data-testid={props.testId}
      onClick={props.onToggle}
    >
      {props.open ? props.hide : props.show}
    </button>
  )
}
