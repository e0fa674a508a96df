// "Create action from this event": the action editor's address with one step filled in
// from the event (its name; for autocapture the clicked element's text, link and tag, and the
// kind of interaction, `event_type`, for the suggested name; the page's URL). The editor
// (/actions/new, screens/actions/prefill.ts) reads these parameters.

import type { ChainElement } from "../../lib/elements";
import type { StoredEvent } from "../../lib/types";

export function actionFromEventPath(event: StoredEvent, elements: ChainElement[]): string {
  const params = new URLSearchParams({ event: event.event });
  if (event.event === "$autocapture") {
    const clicked = elements[0];
    const elText = event.properties["$el_text"];
    const text = typeof elText === "string" && elText ? elText : clicked?.text;
    if (text) params.set("text", text);
    if (clicked?.href) params.set("href", clicked.href);
    if (clicked?.tag_name) params.set("tag_name", clicked.tag_name);
    const eventType = event.properties["$event_type"];
    if (typeof eventType === "string" && eventType) params.set("event_type", eventType);
  }
  const url = event.properties["$current_url"];
  if (typeof url === "string" && url && ["$autocapture", "$pageview"].includes(event.event)) {
    params.set("url", url);
    params.set("url_matching", "exact");
  }
  return `/actions/new?${params.toString()}`;
}
