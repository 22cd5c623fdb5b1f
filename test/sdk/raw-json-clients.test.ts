/**
 * Clients that write their own JSON, as a Python service does with `json.dumps`: numbers a
 * JavaScript number cannot hold (a 64-bit order id), and number spellings JavaScript would
 * rewrite (`1.0`, `1e3`, `-0`). The vendor must receive each number with the client's digits:
 * Outpost may not parse and re-serialize what it forwards.
 */
import { describe, expect, it } from 'vitest'
import { useWhisperrAndUserFlux } from '../support/whisperr-and-userflux'
import { outboxDrained, userFluxCalls, whisperrCalls } from './vendor-calls'

const WHISPERR_KEY = 'wrk_test_raw'
const USERFLUX_KEY = 'uf_write_raw'
const AT = Date.UTC(2026, 5, 14, 12, 0, 0)

/** The numbers, exactly as the client wrote them. */
const NUMBERS = '{"order_id":12345678901234567890,"ratio":1.0,"e":1e3,"z":-0}'
/** The same in Python's default `json.dumps` style: spaces after separators, non-ASCII escaped. */
const PYTHON_NUMBERS =
  '{"order_id": 12345678901234567890, "ratio": 1.0, "e": 1000.0, "z": -0.0, "city": "K\\u00f8ge"}'

const running = useWhisperrAndUserFlux({ whisperr: WHISPERR_KEY, userflux: USERFLUX_KEY })

const whisperrTrack = (properties: string, messageId: string) =>
  `{"external_user_id":"user_1","event_type":"order_placed","occurred_at":"${new Date().toISOString()}",` +
  `"properties":${properties},"context":{"$message_id":"${messageId}"}}`
const userFluxEvent = (properties: string) =>
  `{"userId":"user_1","name":"order_placed","timestamp":${AT},"properties":${properties},"deviceData":null}`

interface RawCase {
  vendor: 'whisperr' | 'userflux'
  path: string
  body: (properties: string) => string
}

const cases: Record<string, RawCase> = {
  'Whisperr track': {
    vendor: 'whisperr',
    path: '/v1/events/track',
    body: (properties) => whisperrTrack(properties, 'py-track-1')
  },
  'Whisperr batch': {
    vendor: 'whisperr',
    path: '/v1/events/batch',
    body: (properties) => `{"events":[${whisperrTrack(properties, 'py-batch-1')}]}`
  },
  'Whisperr identify': {
    vendor: 'whisperr',
    path: '/v1/identify',
    body: (properties) => `{"external_user_id":"user_1","traits":${properties}}`
  },
  'UserFlux event': { vendor: 'userflux', path: '/event/ingest', body: userFluxEvent },
  'UserFlux batch': {
    vendor: 'userflux',
    path: '/event/ingest/batch',
    body: (properties) => `{"events":[${userFluxEvent(properties)}]}`
  },
  'UserFlux profile': {
    vendor: 'userflux',
    path: '/profile',
    body: (properties) => `{"userId":"user_1","properties":${properties}}`
  }
}

/** Per vendor: the auth header its clients send, the mock behind Outpost, how calls are read. */
const vendors = {
  whisperr: { headers: { 'x-api-key': WHISPERR_KEY }, mock: () => running.whisperr, calls: whisperrCalls },
  userflux: {
    headers: { authorization: `Bearer ${USERFLUX_KEY}` },
    mock: () => running.userflux,
    calls: userFluxCalls
  }
}

/** Posts `body` as raw text to Outpost, waits for delivery; returns what the vendor got and was meant to get. */
async function forward(rawCase: RawCase, body: string) {
  const vendor = vendors[rawCase.vendor]
  const answer = await running.outpost.post(`/${rawCase.vendor}${rawCase.path}`, body, vendor.headers)
  expect(answer.status, JSON.stringify(answer.body)).toBeLessThan(300)
  await outboxDrained(running.outpost)
  const mock = vendor.mock()
  expect(mock.rejections).toEqual([])
  return {
    requests: mock.requests,
    forwarded: vendor.calls(mock.requests).map((call) => call.body),
    sent: vendor.calls([{ path: rawCase.path, body }]).map((call) => call.body)
  }
}

describe('a client writing its own JSON, through Outpost', () => {
  it.each(Object.entries(cases))('%s: the vendor receives the client digits', async (_name, rawCase) => {
    const { requests, forwarded, sent } = await forward(rawCase, rawCase.body(NUMBERS))

    expect(requests).toHaveLength(1)
    expect(requests[0]!.body).toContain(NUMBERS)
    expect(forwarded).toEqual(sent)
  })

  it.each(['Whisperr batch', 'UserFlux batch'])(
    "%s in Python's default json.dumps style: every number keeps its digits",
    async (name) => {
      const rawCase = cases[name]!
      const { forwarded, sent } = await forward(rawCase, rawCase.body(PYTHON_NUMBERS))

      // Parsed keeping each number's text: whitespace may differ, digits may not.
      expect(forwarded).toEqual(sent)
    }
  )
})
