"""Cookieless counting on PostHog's wire: sentinels in, daily-salted hashes out
(docs/web-analytics.md#cookieless-counting)."""

SENTINEL = "$posthog_cookieless"  # the distinct_id posthog-js sends in cookieless mode
FLAG = "$cookieless_mode"  # the event property that asks for a server-side hash
EXTRA = "$cookieless_extra"  # an optional value the site adds to the hash
DISTINCT_PREFIX = "cookieless_"


class Mode:
    """A project's `cookieless_server_hash_mode`."""

    OFF = 0
    STATELESS = 1
    STATEFUL = 2
