/**
 * A log nobody can read must not stop the collector: when the reader of stdout or stderr goes away
 * (a closed pipe: EPIPE), a write fails with an 'error' event that would otherwise crash the process.
 * There is nowhere left to report it, so it is dropped; ingest and delivery go on.
 */
export function ignoreUnwritableLogs(): void {
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {})
}
