// Capture events continuously with the official posthog-node SDK until told to stop, then
// flush and report what the SDK did with each of them.
//
// Usage: node tests/node/send_continuously.mjs 'SPEC-JSON'
//
// The spec:
//   {
//     "host": "http://127.0.0.1:8000", "token": "phc_...", "event": "name of every event",
//     "perTick": 5, "tickMs": 10,                      // capture rate: perTick events every tickMs
//     "options": {"flushAt": 10, "fetchRetryCount": 100, ...}   // PostHog client options
//     "shutdownTimeoutMs": 60000
//   }
// Every event has the property `seq` (0, 1, 2, ... in capture order) and the uuid the SDK
// generates. A line `stop` on stdin (or stdin closing) ends the capturing; the script then
// awaits `shutdown()` and prints one JSON line:
//   {"captured": [[seq, uuid], ...], "failed": [uuid, ...], "errors": [message, ...],
//    "attempts": <POSTs to /batch/>, "failedAttempts": <of those, how many failed>}
// `failed` holds the events of every batch the SDK reported through its `error` event (it
// sends one batch at a time, so an error is about the batch of the latest attempt), and, when
// it reported any error, every event no 2xx answer covered by the end: a failed final flush
// leaves the rest of the queue unsent with that one error.

import { gunzipSync } from 'node:zlib'
import { PostHog } from 'posthog-node'

const spec = JSON.parse(process.argv[2])
const captured = []
const failed = new Set()
const acknowledged = new Set()
const errors = []
let attempts = 0
let failedAttempts = 0
let latestBatch = []

function batchUuids(body) {
    const text = typeof body === 'string' ? body : gunzipSync(body).toString('utf8')
    return JSON.parse(text).batch.map((message) => message.uuid)
}

async function countingFetch(url, options) {
    if (new URL(url).pathname !== '/batch/') return fetch(url, options)
    latestBatch = batchUuids(options.body)
    attempts += 1
    try {
        const batch = latestBatch
        const response = await fetch(url, options)
        if (response.ok) for (const uuid of batch) acknowledged.add(uuid)
        else failedAttempts += 1
        return response
    } catch (error) {
        failedAttempts += 1
        throw error
    }
}

const client = new PostHog(spec.token, { host: spec.host, ...spec.options, fetch: countingFetch })
client.on('capture', (message) => captured.push([message.properties.seq, message.uuid]))
client.on('error', (error) => {
    errors.push(String(error?.message ?? error))
    for (const uuid of latestBatch) failed.add(uuid)
})

let seq = 0
const timer = setInterval(() => {
    for (let i = 0; i < spec.perTick; i += 1) {
        client.capture({
            distinctId: `node-restart-user-${seq % 10}`,
            event: spec.event,
            properties: { seq },
        })
        seq += 1
    }
}, spec.tickMs)

let finished = false
async function finish() {
    if (finished) return
    finished = true
    clearInterval(timer)
    process.stdin.pause()
    await client.shutdown(spec.shutdownTimeoutMs)
    if (errors.length) {
        for (const [, uuid] of captured) if (!acknowledged.has(uuid)) failed.add(uuid)
    }
    const report = { captured, failed: [...failed], errors, attempts, failedAttempts }
    process.stdout.write(JSON.stringify(report) + '\n')
}

process.stdin.setEncoding('utf8')
process.stdin.on('data', (chunk) => {
    if (chunk.includes('stop')) finish()
})
process.stdin.on('end', finish)
