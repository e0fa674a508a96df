// Send events to a server with the official posthog-node SDK, as a Node backend would.
//
// Usage: node tests/node/send_events.mjs SPEC.json   (or the spec's JSON on stdin)
//
// The spec:
//   {
//     "host": "http://127.0.0.1:8000",
//     "token": "phc_...",
//     "flushAt": 20,                // optional: posthog-node's batch size (1 = one request each)
//     "disableCompression": false,  // optional: true sends plain JSON instead of gzip
//     "events": [
//       {"type": "capture", "distinctId": "u1", "event": "Plan purchased",
//        "properties": {...}, "timestamp": "2026-01-15T09:30:00.123Z", "uuid": "..."},
//       {"type": "identify", "distinctId": "u1", "properties": {"email": "..."}}
//     ]
//   }
// `timestamp` and `uuid` are optional. The script exits 0 once `shutdown()` has delivered
// everything, and prints {"sent": <count>, "errors": []} on stdout; it exits 1 when the SDK
// reported an error (a refused request, a network failure).

import { readFileSync } from 'node:fs'
import { PostHog } from 'posthog-node'

function readSpec() {
    const path = process.argv[2]
    const text = path && path !== '-' ? readFileSync(path, 'utf8') : readFileSync(0, 'utf8')
    return JSON.parse(text)
}

function send(client, item) {
    if (item.type === 'identify') {
        client.identify({ distinctId: item.distinctId, properties: item.properties ?? {} })
        return
    }
    if (item.type !== 'capture') {
        throw new Error(`unknown event type ${JSON.stringify(item.type)}`)
    }
    const message = {
        distinctId: item.distinctId,
        event: item.event,
        properties: item.properties ?? {},
    }
    if (item.timestamp != null) message.timestamp = new Date(item.timestamp)
    if (item.uuid != null) message.uuid = item.uuid
    client.capture(message)
}

async function main() {
    const spec = readSpec()
    const client = new PostHog(spec.token, {
        host: spec.host,
        flushAt: spec.flushAt ?? 20,
        flushInterval: 0,
        disableCompression: spec.disableCompression ?? false,
        fetchRetryCount: 0,
    })
    const errors = []
    client.on('error', (error) => errors.push(String(error?.message ?? error)))
    for (const item of spec.events) send(client, item)
    await client.shutdown()
    process.stdout.write(JSON.stringify({ sent: spec.events.length, errors }) + '\n')
    process.exitCode = errors.length ? 1 : 0
}

main().catch((error) => {
    process.stderr.write(`${error?.stack ?? error}\n`)
    process.exitCode = 1
})
