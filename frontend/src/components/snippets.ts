// How to send this project events, with the server's address and the token filled in.

export interface Snippet {
  id: string;
  title: string;
  install: string | null;
  code: string;
}

export function snippets(origin: string, token: string): Snippet[] {
  const t = JSON.stringify(token);
  const host = JSON.stringify(origin);
  return [
    {
      id: "hedgerow-js",
      title: "Website: hedgerow.js (served by this server)",
      install: null,
      code: `<script src="${origin}/static/hedgerow.js"></script>
<script>
  hedgerow.init(${t}, { api_host: ${host} })
</script>`,
    },
    {
      id: "posthog-js",
      title: "Website: posthog-js",
      install: "npm install posthog-js",
      code: `import posthog from "posthog-js"

posthog.init(${t}, {
  api_host: ${host},
  person_profiles: "identified_only",
})`,
    },
    {
      id: "posthog-python",
      title: "Python: posthog",
      install: "pip install posthog",
      code: `from posthog import Posthog

posthog = Posthog(${t}, host=${host})
posthog.capture(
    "Plan purchased", distinct_id="user_123", properties={"price": 1599}
)
posthog.shutdown()  # sends what is queued`,
    },
    {
      id: "posthog-node",
      title: "Node.js: posthog-node",
      install: "npm install posthog-node",
      code: `import { PostHog } from "posthog-node"

const posthog = new PostHog(${t}, { host: ${host} })
posthog.capture({
  distinctId: "user_123",
  event: "Plan purchased",
  properties: { price: 1599 },
})
await posthog.shutdown() // sends what is queued`,
    },
  ];
}
