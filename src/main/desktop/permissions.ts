/**
 * The only permission the UI uses: writing to the clipboard on a click (Copy JSON). Camera,
 * notifications, geolocation and everything else are refused.
 */
const GRANTED: ReadonlySet<string> = new Set(['clipboard-sanitized-write'])

export function isPermissionGranted(permission: string): boolean {
  return GRANTED.has(permission)
}
