"""FunnelsQuery with `funnelVizType: "time_to_convert"`: the histogram of times to convert,
bin by bin, against funnels_reference.py over generated persons sent through capture (times
to the millisecond, retries, late conversions, other events in between, a merge)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from funnels_reference import People, chains, histogram

from server import TOKEN, Server

A, B, C, OTHER = "t_view", "t_signup", "t_buy", "t_other"
STEPS = [A, B, C]
DAY = 86400.0


def _people() -> People:
    """person -> [(seconds after the start, event, group)]."""
    rng = random.Random(16)
    people: dict[str, list[tuple[float, str, str | None]]] = {}
    for n in range(40):
        events: list[tuple[float, str, str | None]] = [(0, A, None)]
        at = 0.0
        if rng.random() < 0.2:  # looked again later: a second attempt
            events.append((rng.randint(60, 4000), A, None))
        for step in (B, C):
            if rng.random() < 0.15:
                break
            at += rng.randint(1_000, 30_000_000) / 1000  # up to ~8 hours, to the millisecond
            if rng.random() < 0.2:
                events.append((at - 0.5, OTHER, None))  # breaks a strict funnel
            if rng.random() < 0.1:
                at += DAY  # too late for a one-day window
            events.append((at, step, None))
        people[f"t{n}"] = events
    # Two persons who took the same whole number of seconds (their own group).
    people["same1"] = [(0, A, "same"), (30, B, "same"), (120, C, "same")]
    people["same2"] = [(500, A, "same"), (530, B, "same"), (620, C, "same")]
    return people


PEOPLE = _people()
# The merged person: the first step as an anonymous id, then `$identify` and the rest.
MERGED: list[tuple[float, str, str | None]] = [
    (0.0, A, None),
    (1.0, "$identify", None),
    (100.5, B, None),
    (400.0, C, None),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = Server(tmp_path_factory.mktemp("funnel-time") / "data").start()
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=5)

    def event(name: str, distinct_id: str, seconds: float, **properties: Any) -> dict[str, Any]:
        moment = start + timedelta(seconds=seconds)
        return {
            "event": name,
            "distinct_id": distinct_id,
            "properties": properties,
            "timestamp": moment.isoformat(),
        }

    batch = [
        event(name, person, seconds, **({"group": group} if group else {}))
        for person, events in PEOPLE.items()
        for seconds, name, group in events
    ]
    batch += [
        event(A, "m-anon", 0),
        event("$identify", "m-user", 1, **{"$anon_distinct_id": "m-anon"}),
        event(B, "m-user", 100.5),
        event(C, "m-user", 400),
    ]
    response = httpx.post(server.url + "/batch/", json={"api_key": TOKEN, "batch": batch})
    assert response.status_code == 200
    server.wait_ingested(len(batch))
    yield server
    server.stop()


def _funnel(server: Server, status: int = 200, **extra: Any) -> Any:
    funnels_filter = {"funnelWindowInterval": 1, "funnelWindowIntervalUnit": "day"}
    funnels_filter.update(extra.pop("funnelsFilter", {}))
    query = {
        "kind": "FunnelsQuery",
        "series": [{"kind": "EventsNode", "event": e} for e in STEPS],
        "dateRange": {"date_from": "-7d"},
        "funnelsFilter": funnels_filter,
        **extra,
    }
    with server.api() as api:
        response = api.post("/api/projects/1/query/", json={"query": query})
    assert response.status_code == status, response.text
    return response.json()


def _seconds(order: str, from_step: int, to_step: int) -> list[float]:
    attempts = chains({**PEOPLE, "merged": MERGED}, order, DAY, STEPS)
    return [c[to_step] - c[from_step] for c in attempts.values() if len(c) > to_step]


@pytest.mark.parametrize(
    ("order", "from_step", "to_step", "bins"),
    [
        ("ordered", None, None, None),
        ("ordered", 1, 2, 5),
        ("ordered", 0, 1, 200),  # clamped to 90 bins
        ("strict", None, None, 4),
        ("unordered", None, 1, 7),
    ],
)
def test_bins_match_the_reference(
    server: Server, order: str, from_step: int | None, to_step: int | None, bins: int | None
) -> None:
    settings: dict[str, Any] = {"funnelOrderType": order, "funnelVizType": "time_to_convert"}
    for field, value in (("funnelFromStep", from_step), ("funnelToStep", to_step)):
        if value is not None:
            settings[field] = value
    if bins is not None:
        settings["binCount"] = bins
    answer = _funnel(server, funnelsFilter=settings)["results"]
    seconds = _seconds(order, from_step or 0, 2 if to_step is None else to_step)
    expected_bins, average = histogram(seconds, bins)
    assert answer["bins"] == expected_bins
    assert answer["average_conversion_time"] == pytest.approx(average)
    assert len(seconds) > 8 and sum(1 for _, n in expected_bins if n) > 2  # not trivial
    # The same persons as the steps view counts at the last step asked for.
    steps = _funnel(server, funnelsFilter={"funnelOrderType": order})["results"]
    assert sum(n for _, n in answer["bins"]) == steps[2 if to_step is None else to_step]["count"]


def test_the_default_bin_count_is_the_cube_root(server: Server) -> None:
    answer = _funnel(server, funnelsFilter={"funnelVizType": "time_to_convert"})["results"]
    seconds = _seconds("ordered", 0, 2)
    assert len(answer["bins"]) == next(k for k in range(1, 61) if k**3 >= len(seconds)) + 1


def test_times_in_one_whole_second_make_minute_bins(server: Server) -> None:
    answer = _funnel(
        server,
        funnelsFilter={"funnelVizType": "time_to_convert"},
        properties=[{"key": "group", "value": "same", "type": "event"}],
    )["results"]
    # Both took 120 s: the range is one second wide, so the bins are 60 s wide (2 of them,
    # the cube root of 2 rounded up, and the one after).
    assert answer == {"bins": [[120, 2], [180, 0], [240, 0]], "average_conversion_time": 120.0}


def test_nobody_converted(server: Server) -> None:
    answer = _funnel(
        server,
        series=[{"event": A}, {"event": "never-sent"}],
        funnelsFilter={"funnelVizType": "time_to_convert"},
    )
    assert answer["results"] == {"bins": [[0, 0], [1, 0]], "average_conversion_time": None}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"breakdownFilter": {"breakdown": "group"}}, "no breakdown"),
        ({"funnelsFilter": {"funnelToStep": 3}}, "funnelToStep"),
        ({"funnelsFilter": {"funnelFromStep": 2, "funnelToStep": 2}}, "funnelFromStep"),
        ({"funnelsFilter": {"binCount": "ten"}}, "binCount"),
        ({"series": [{"event": A}]}, "two steps"),
    ],
)
def test_bad_time_to_convert_requests_are_400(
    server: Server, extra: dict[str, Any], message: str
) -> None:
    extra = dict(extra)
    settings = {"funnelVizType": "time_to_convert", **extra.pop("funnelsFilter", {})}
    answer = _funnel(server, status=400, funnelsFilter=settings, **extra)
    assert answer["code"] == "invalid_query" and message in answer["error"]
