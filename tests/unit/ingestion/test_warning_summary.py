"""Warnings summed per type and per day of the project's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime

from hedgerow.ingestion.warning_summary import BUCKET_SECONDS, summarize, window_start

NOW = datetime(2026, 3, 10, 20, 0, tzinfo=UTC)  # 01:30 on March 11 in Kolkata (UTC+5:30)


def at(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def test_buckets_go_to_the_local_day_they_start_in() -> None:
    buckets = [
        ("duplicate_event", at("2026-03-10T18:15:00+00:00"), 2),  # 23:45 local, March 10
        ("duplicate_event", at("2026-03-10T18:30:00+00:00"), 3),  # 00:00 local, March 11
        ("duplicate_event", at("2026-02-10T00:00:00+00:00"), 7),  # local Feb 10: day 1 of 30
    ]
    totals = [("duplicate_event", 20, at("2026-03-10T18:40:00+00:00"))]
    [summary] = summarize(totals, buckets, "Asia/Kolkata", NOW)
    assert summary.discards and summary.count == 20
    assert summary.last_seen == datetime(2026, 3, 10, 18, 40, tzinfo=UTC)
    assert len(summary.daily) == 30
    assert summary.daily[0] == (date(2026, 2, 10), 7)
    assert summary.daily[-2:] == [(date(2026, 3, 10), 2), (date(2026, 3, 11), 3)]
    assert sum(n for _, n in summary.daily) == 12


def test_types_without_recent_buckets_keep_their_total_and_newest_type_comes_first() -> None:
    totals = [
        ("event_name_truncated", 4, at("2025-12-01T00:00:00+00:00")),
        ("cannot_merge_already_identified", 1, at("2026-03-09T00:00:00+00:00")),
    ]
    summaries = summarize(totals, [], "UTC", NOW)
    assert [s.type for s in summaries] == [
        "cannot_merge_already_identified",
        "event_name_truncated",
    ]
    assert [s.discards for s in summaries] == [False, False]
    assert summaries[1].count == 4 and all(n == 0 for _, n in summaries[1].daily)


def test_the_window_starts_at_local_midnight_29_days_before_today() -> None:
    start = window_start(NOW, "Asia/Kolkata")
    assert start.isoformat() == "2026-02-10T00:00:00+05:30"
    assert start.timestamp() % BUCKET_SECONDS == 0
