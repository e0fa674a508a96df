"""FunnelsQuery: the three step orders, the conversion window, times to convert, breakdowns
and actions as steps, checked against a brute-force reference over crafted persons."""

from __future__ import annotations

import statistics
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from funnels_reference import chains

from server import TOKEN, Server

A, B, C, OTHER = "f_view", "f_signup", "f_buy", "f_other"
STEPS = [A, B, C]

# person -> [(minutes after the start, event, plan)]; windows are one day (1440 minutes).
PEOPLE: dict[str, list[tuple[int, str, str | None]]] = {
    "p1": [(0, A, "pro"), (10, B, None), (20, C, None)],
    "p2": [(0, A, "free"), (30, B, None)],
    "p3": [(0, A, "pro"), (5, OTHER, None), (10, B, None), (3000, C, None)],  # C is too late
    "p4": [(0, B, None), (10, A, "free"), (20, C, None)],
    "p5": [(0, A, "pro"), (5, B, None), (7, OTHER, None), (9, C, None)],  # broken if strict
    "p6": [(0, A, "team"), (2000, A, "free"), (2010, B, None), (2020, C, None)],
    "p7": [(0, A, "pro"), (60, B, None), (1000, A, "pro"), (1445, C, None)],
    "p8": [(0, C, None)],
    "p9": [(0, A, None)],
    "p10": [(0, A, "pro"), (1, A, "pro"), (2, B, None), (3, B, None), (4, C, None)],
}


def reference(order: str, window_minutes: int, steps: list[str] = STEPS) -> dict[str, list[float]]:
    """person -> the step times (minutes) of the counted attempt, by brute force."""
    return chains(PEOPLE, order, window_minutes, steps)


@pytest.fixture(scope="module")
def funnel_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = Server(tmp_path_factory.mktemp("funnels") / "data").start()
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=4)
    batch = []
    for person, events in PEOPLE.items():
        for minutes, name, plan in events:
            properties = {"plan": plan} if plan else {}
            batch.append(
                {
                    "event": name,
                    "distinct_id": person,
                    "properties": properties,
                    "timestamp": (start + timedelta(minutes=minutes)).isoformat(),
                }
            )
    # A person merged mid-way: anonymous A, then B and C as the user it is merged into.
    merged = [
        (0, OTHER, "m-user", {}),
        (1, A, "m-anon", {"plan": "pro"}),
        (2, "$identify", "m-user", {"$anon_distinct_id": "m-anon"}),
        (3, B, "m-user", {}),
        (4, C, "m-user", {}),
    ]
    for minutes, name, distinct_id, properties in merged:
        batch.append(
            {
                "event": name,
                "distinct_id": distinct_id,
                "properties": properties,
                "timestamp": (start + timedelta(minutes=minutes)).isoformat(),
            }
        )
    response = httpx.post(server.url + "/batch/", json={"api_key": TOKEN, "batch": batch})
    assert response.status_code == 200
    server.wait_ingested(len(batch))
    yield server
    server.stop()


def _funnel(server: Server, status: int = 200, **extra: Any) -> Any:
    query = {
        "kind": "FunnelsQuery",
        "series": [{"kind": "EventsNode", "event": e} for e in STEPS],
        "dateRange": {"date_from": "-7d"},
        **extra,
    }
    with server.api() as api:
        response = api.post("/api/projects/1/query/", json={"query": query})
    assert response.status_code == status, response.text
    return response.json()


def _expected(
    order: str, window_minutes: int, names: list[str] = STEPS, merged: list[float] | None = None
) -> list[dict[str, Any]]:
    chains = reference(order, window_minutes, names)
    if merged is None:
        merged = [1.0, 3.0, 4.0] if order != "strict" else [1.0]  # $identify intervenes
    chains["merged"] = merged
    steps = []
    for k in range(len(names)):
        reached = [c for c in chains.values() if len(c) > k]
        gaps = [(c[k] - c[k - 1]) * 60 for c in reached] if k else []
        steps.append(
            {
                "count": len(reached),
                "average_conversion_time": statistics.fmean(gaps) if gaps else None,
                "median_conversion_time": statistics.median(gaps) if gaps else None,
            }
        )
    return steps


@pytest.mark.parametrize("order", ["ordered", "strict", "unordered"])
@pytest.mark.parametrize(
    ("amount", "unit", "minutes"), [(1, "day", 1440), (3, "day", 4320), (25, "minute", 25)]
)
def test_funnel_orders_and_windows(
    funnel_server: Server, order: str, amount: int, unit: str, minutes: int
) -> None:
    answer = _funnel(
        funnel_server,
        funnelsFilter={
            "funnelOrderType": order,
            "funnelWindowInterval": amount,
            "funnelWindowIntervalUnit": unit,
        },
    )
    steps = answer["results"]
    _assert_steps(steps, _expected(order, minutes))
    first = steps[0]["count"]
    for k, step in enumerate(steps):
        assert step["name"] == STEPS[k] and step["order"] == k
        assert step["conversion_rate_from_first_step"] == pytest.approx(100 * step["count"] / first)
        previous = steps[k - 1]["count"] if k else first
        assert step["conversion_rate_from_previous_step"] == pytest.approx(
            100 * step["count"] / previous
        )


def _assert_steps(steps: list[dict[str, Any]], expected: list[dict[str, Any]]) -> None:
    assert [s["count"] for s in steps] == [e["count"] for e in expected]
    for step, wanted in zip(steps, expected, strict=True):
        assert step["average_conversion_time"] == pytest.approx(wanted["average_conversion_time"])
        assert step["median_conversion_time"] == pytest.approx(wanted["median_conversion_time"])


@pytest.mark.parametrize("order", ["ordered", "strict"])
@pytest.mark.parametrize("minutes", [1440, 25])
def test_a_step_may_repeat_the_event_of_another(
    funnel_server: Server, order: str, minutes: int
) -> None:
    """View, view again, sign up: one event matches two steps, and the second view must
    come strictly after the first."""
    names = [A, A, B]
    answer = _funnel(
        funnel_server,
        series=[{"kind": "EventsNode", "event": e} for e in names],
        funnelsFilter={
            "funnelOrderType": order,
            "funnelWindowInterval": minutes,
            "funnelWindowIntervalUnit": "minute",
        },
    )
    expected = _expected(order, minutes, names, merged=[1.0])  # one view only
    _assert_steps(answer["results"], expected)
    assert expected[1]["count"] > 0 and expected[2]["count"] > 0  # the data exercises it


@pytest.mark.parametrize("order", ["ordered", "strict", "unordered"])
def test_a_one_step_funnel_counts_who_did_it(funnel_server: Server, order: str) -> None:
    answer = _funnel(
        funnel_server,
        series=[{"kind": "EventsNode", "event": B}],
        funnelsFilter={"funnelOrderType": order},
    )
    (step,) = answer["results"]
    doers = sum(any(e == B for _, e, _ in events) for events in PEOPLE.values())
    assert step["count"] == doers + 1  # and the merged person
    assert step["average_conversion_time"] is None


def test_the_window_excludes_late_conversions(funnel_server: Server) -> None:
    one_day = _funnel(funnel_server, funnelsFilter={"funnelWindowInterval": 1})
    three_days = _funnel(funnel_server, funnelsFilter={"funnelWindowInterval": 3})
    # p3 buys 50 hours after viewing: only the 3-day window counts it (p7's second view too).
    assert three_days["results"][2]["count"] == one_day["results"][2]["count"] + 2


def test_funnel_breakdown_by_the_first_step_value(funnel_server: Server) -> None:
    answer = _funnel(
        funnel_server,
        breakdownFilter={"breakdown": "plan"},
        funnelsFilter={"funnelWindowInterval": 1},
    )
    chains = reference("ordered", 1440)
    chains["merged"] = [1.0, 3.0, 4.0]
    first_plan = {
        p: next((plan for _, e, plan in sorted(ev) if e == A), None) for p, ev in PEOPLE.items()
    }
    first_plan["merged"] = "pro"
    expected: dict[str, list[int]] = {}
    for person, chain in chains.items():
        if not chain:
            continue
        value = first_plan[person] or "$$_posthog_breakdown_null_$$"
        counts = expected.setdefault(value, [0, 0, 0])
        for k in range(len(chain)):
            counts[k] += 1
    found = {
        group[0]["breakdown_value"]: [s["count"] for s in group] for group in answer["results"]
    }
    assert found == expected
    assert answer["results"][0][0]["breakdown_value"] == "pro"  # most persons first


def test_actions_as_funnel_steps(funnel_server: Server) -> None:
    with funnel_server.api() as api:
        created = api.post(
            "/api/projects/1/actions/",
            json={"name": "Signed up or bought", "steps": [{"event": B}, {"event": C}]},
        )
    assert created.status_code == 201
    action = created.json()["id"]
    answer = _funnel(
        funnel_server,
        series=[{"event": A}, {"kind": "ActionsNode", "id": action}],
        funnelsFilter={"funnelWindowInterval": 1},
    )
    steps = answer["results"]
    assert steps[1]["name"] == "Signed up or bought" and steps[1]["type"] == "actions"
    # Everyone with a view and a later signup or purchase within a day.
    expected = 0
    for events in PEOPLE.values():
        views = [t for t, e, _ in events if e == A]
        later = [t for t, e, _ in events if e in (B, C)]
        expected += any(0 < t - v <= 1440 for v in views for t in later)
    assert steps[1]["count"] == expected + 1  # and the merged person


@pytest.mark.parametrize("order", ["strict", "unordered"])
def test_breakdown_groups_add_up(funnel_server: Server, order: str) -> None:
    settings = {"funnelOrderType": order, "funnelWindowInterval": 1}
    whole = _funnel(funnel_server, funnelsFilter=settings)["results"]
    groups = _funnel(
        funnel_server,
        funnelsFilter=settings,
        breakdownFilter={"breakdown": "plan", "breakdown_limit": 2},
    )["results"]
    assert len(groups) == 3 and groups[-1][0]["breakdown_value"] == "$$_posthog_breakdown_other_$$"
    for k, step in enumerate(whole):
        assert sum(group[k]["count"] for group in groups) == step["count"]


def test_a_funnel_nobody_entered(funnel_server: Server) -> None:
    answer = _funnel(funnel_server, series=[{"event": "never-sent"}, {"event": A}])
    assert [s["count"] for s in answer["results"]] == [0, 0]
    assert answer["results"][1]["median_conversion_time"] is None


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"funnelsFilter": {"funnelOrderType": "random"}}, "funnelOrderType"),
        ({"funnelsFilter": {"funnelWindowIntervalUnit": "fortnight"}}, "funnelWindowIntervalUnit"),
        ({"funnelsFilter": {"funnelWindowInterval": 0}}, "positive integer"),
        ({"funnelsFilter": {"funnelVizType": "trends"}}, "steps"),
        ({"series": [{"kind": "DataWarehouseNode"}]}, "EventsNode or an ActionsNode"),
        ({"series": "f_view"}, "series"),
    ],
)
def test_bad_funnels_are_400(funnel_server: Server, extra: dict[str, Any], message: str) -> None:
    answer = _funnel(funnel_server, status=400, **extra)
    assert message in answer["error"]
