"""Date ranges and buckets in a project's time zone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from hedgerow.errors import BadRequest
from hedgerow.query.timerange import resolve_range

NOW = datetime(2026, 3, 10, 15, 30, tzinfo=UTC)  # a Tuesday; New York moved to DST on the 8th
YORK = ZoneInfo("America/New_York")


def _keys(date_range: dict[str, object], interval: str, tz: ZoneInfo = YORK) -> list[str]:
    found = resolve_range(date_range, interval, tz, now=NOW)
    return [found.day(s) for s in found.bucket_starts()]


def test_relative_days_snap_to_local_midnights() -> None:
    found = resolve_range({"date_from": "-3d"}, "day", YORK, now=NOW)
    assert found.start.isoformat() == "2026-03-07T00:00:00-05:00"
    assert found.end.isoformat() == "2026-03-10T23:59:59.999999-04:00"
    assert _keys({"date_from": "-3d"}, "day") == [
        "2026-03-07",
        "2026-03-08",
        "2026-03-09",
        "2026-03-10",
    ]


def test_weeks_start_on_sunday_and_months_on_the_first() -> None:
    assert _keys({"date_from": "2026-02-18", "date_to": "2026-03-03"}, "week") == [
        "2026-02-15",
        "2026-02-22",
        "2026-03-01",
    ]
    assert _keys({"date_from": "-2m"}, "month") == ["2026-01-01", "2026-02-01", "2026-03-01"]


def test_hours_across_a_daylight_saving_change() -> None:
    keys = _keys({"date_from": "2026-03-08", "date_to": "2026-03-08"}, "hour")
    assert len(keys) == 23  # 2 a.m. does not exist that day
    assert "2026-03-08 02:00:00" not in keys


def test_explicit_dates_are_not_snapped() -> None:
    found = resolve_range(
        {
            "date_from": "2026-03-09T10:15:00",
            "date_to": "2026-03-09T11:00:00",
            "explicitDate": True,
        },
        "hour",
        YORK,
        now=NOW,
    )
    assert found.start.isoformat() == "2026-03-09T10:00:00-04:00"
    assert found.end.isoformat() == "2026-03-09T11:00:00-04:00"


def test_default_is_the_last_seven_days_and_compare_shifts_whole_intervals() -> None:
    found = resolve_range(None, "day", UTC, now=NOW)  # type: ignore[arg-type]
    assert len(found.bucket_starts()) == 8
    previous = found.shifted(-8)
    assert previous.start.isoformat() == "2026-02-23T00:00:00+00:00"
    assert previous.end.isoformat() == "2026-03-02T23:59:59.999999+00:00"


@pytest.mark.parametrize(
    "date_range", [{"date_from": "soon"}, {"date_from": "-1d", "date_to": "-2d"}, "yesterday"]
)
def test_bad_ranges(date_range: object) -> None:
    with pytest.raises(BadRequest):
        resolve_range(date_range, "day", UTC, now=NOW)


def test_last_month_and_all() -> None:
    found = resolve_range({"date_from": "-1mStart", "date_to": "-1mEnd"}, "day", YORK, now=NOW)
    assert (found.start.isoformat(), found.end.date().isoformat()) == (
        "2026-02-01T00:00:00-05:00",
        "2026-02-28",
    )
    first = datetime(2025, 12, 30, 3, tzinfo=UTC)  # still the 29th in New York
    found = resolve_range({"date_from": "all"}, "month", YORK, now=NOW, earliest=lambda: first)
    assert [found.day(s) for s in found.bucket_starts()][:2] == ["2025-12-01", "2026-01-01"]
