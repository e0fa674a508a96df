"""bots: flag events sent by known bots and crawlers with `$virt_is_bot: true`
(docs/web-analytics.md#bots).

The user agent is the event's `$raw_user_agent` (posthog-js and hedgerow.js send the
browser's), else `$user_agent`, the order of PostHog's `$virt_is_bot`. The patterns are
those of the `crawler-user-agents` package (MIT, a community list of about 1,500 patterns,
updated every few weeks), matched by its `is_crawler`; answers are cached per user agent (a
bounded cache). Events without a user agent (server SDKs, the API) and events of other
agents are left as they are: web analytics leaves out only the events flagged true.
"""

from __future__ import annotations

from collections.abc import Callable

import crawleruseragents

from hedgerow.event import IngestEvent
from hedgerow.ingestion.pipeline import OK, Step, StepResult

FLAG = "$virt_is_bot"
USER_AGENT_KEYS = ("$raw_user_agent", "$user_agent")
CACHE_SIZE = 16_384


class BotDetector:
    def __init__(self, matches: Callable[[str], bool] | None = None) -> None:
        self._matches: Callable[[str], bool] = matches or crawleruseragents.is_crawler
        self._cache: dict[str, bool] = {}

    def is_bot(self, user_agent: str) -> bool:
        known = self._cache.get(user_agent)
        if known is None:
            if len(self._cache) >= CACHE_SIZE:
                self._cache.clear()
            known = self._cache[user_agent] = bool(self._matches(user_agent))
        return known


def bots_step(detector: BotDetector) -> Step:
    def bots(event: IngestEvent) -> StepResult:
        properties = event.properties
        for key in USER_AGENT_KEYS:
            user_agent = properties.get(key)
            if user_agent:
                if isinstance(user_agent, str) and detector.is_bot(user_agent):
                    properties[FLAG] = True
                break
        return OK

    return bots
