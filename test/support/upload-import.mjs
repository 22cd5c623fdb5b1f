// An import uploaded from a process of its own, as a browser would: POSTs the file argv[4] to
// argv[2] (with the admin token argv[3]) as it is read from disk, and prints as JSON the answer's
// status, how many progress lines came, the last of them, and the summary.
import { openAsBlob } from 'node:fs'

const [url, token, file] = process.argv.slice(2)
const response = await fetch(url, {
  method: 'POST',
  headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' },
  body: await openAsBlob(file)
})
const answer = (await response.text())
  .trimEnd()
  .split('\n')
  .map((line) => JSON.parse(line))
const progress = answer.filter((line) => 'progress' in line).map((line) => line.progress)
console.log(
  JSON.stringify({
    status: response.status,
    progressLines: progress.length,
    lastProgress: progress.at(-1) ?? null,
    summary: answer.at(-1)?.summary ?? null
  })
)
