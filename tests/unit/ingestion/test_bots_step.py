"""The `bots` step flags known bots and crawlers from the package's list, by
`$raw_user_agent` first and `$user_agent` second; browsers and events without a user agent
are left as they are."""

from __future__ import annotations

from typing import Any

from hedgerow.event import IngestEvent
from hedgerow.ingestion.pipeline import OK
from hedgerow.ingestion.steps.bots import BotDetector, bots_step

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
BINGBOT = "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)"
GPTBOT = (
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; "
    "+https://openai.com/gptbot)"
)
STEP = bots_step(BotDetector())


def _flagged(**properties: Any) -> bool:
    now = "2026-12-07 10:00:00.000000"
    event = IngestEvent(1, "u", "$pageview", "d", dict(properties), now, now)
    assert STEP(event) is OK
    return bool(event.properties.get("$virt_is_bot"))


def test_known_bots_are_flagged() -> None:
    for agent in (GOOGLEBOT, BINGBOT, GPTBOT):
        assert _flagged(**{"$raw_user_agent": agent}), agent
    assert _flagged(**{"$user_agent": GOOGLEBOT})  # when there is no raw user agent


def test_browsers_and_events_without_a_user_agent_are_not_flagged() -> None:
    for agent in (CHROME, SAFARI):
        assert not _flagged(**{"$raw_user_agent": agent}), agent
    assert not _flagged()
    assert not _flagged(**{"$raw_user_agent": ""})
    assert not _flagged(**{"$raw_user_agent": 7})
    # The raw user agent (the browser's) decides when both are there.
    assert not _flagged(**{"$raw_user_agent": CHROME, "$user_agent": GOOGLEBOT})
