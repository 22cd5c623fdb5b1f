/**
 * The renderer's Content-Security-Policy, sent as a response header wherever the renderer is
 * served: by the console server and, in the desktop app, on the window's own page. A header, not
 * only the meta tag in src/renderer/index.html: it applies before the page parses a byte, and
 * `frame-ancestors` works only there.
 */
export const RENDERER_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'"
].join('; ')
