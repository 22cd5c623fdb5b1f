// A download read in a process of its own, as a browser would: counts the bytes and lines of the
// answer to GET argv[2] (with the admin token argv[3]) and prints them as JSON, with the first bytes.
const [url, token] = process.argv.slice(2)
const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } })
let bytes = 0
let lines = 0
let head = ''
for await (const chunk of response.body) {
  if (bytes === 0) head = Buffer.from(chunk.subarray(0, 100)).toString('utf8')
  bytes += chunk.byteLength
  for (let at = chunk.indexOf(0x0a); at >= 0; at = chunk.indexOf(0x0a, at + 1)) lines++
}
console.log(JSON.stringify({ status: response.status, bytes, lines, head }))
