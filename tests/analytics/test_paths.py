"""PathsQuery over walkers (sessions of page views with ids in their URLs, reloads, gaps of
over half an hour, a merge by `$identify`) sent through capture into a project in New York
time, checked edge by edge against paths_reference.py; and a second project that sees only
its own events."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from analytics_data import Project, send
from paths_reference import Paths, paths, walkers

from server import Server

ZONE = "America/New_York"
TZ = ZoneInfo(ZONE)
RULES = [
    (r"^https://shop\.example\.com", ""),
    (r"\?.*$", ""),
    (r"/user/\d+", "/user/:id"),
]
CLEANING = [{"regex": regex, "alias": alias} for regex, alias in RULES]


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Project, Project]]:
    server = Server(tmp_path_factory.mktemp("paths") / "data").start()
    events = walkers(datetime.now(UTC))
    main_id, main_token, main_key = server.create_project("Main", ZONE)
    other_id, other_token, other_key = server.create_project("Other", ZONE)
    few = [e for e in events if e.person in (501, 502)]
    send(server, main_token, events)
    send(server, other_token, few)
    server.wait_ingested(len(events), project=main_id, key=main_key, timeout=120)
    server.wait_ingested(len(few), project=other_id, key=other_key, timeout=120)
    yield Project(server, main_id, main_key, events), Project(server, other_id, other_key, few)
    server.stop()


@pytest.fixture
def main(projects: tuple[Project, Project]) -> Project:
    return projects[0]


def _window() -> tuple[date, date]:
    last = datetime.now(UTC).astimezone(TZ).date()
    return last - timedelta(days=30), last


def _ask(project: Project, **spec: Any) -> dict[str, Any]:
    first, last = _window()
    return project.query(
        {
            "kind": "PathsQuery",
            "pathsFilter": spec,
            "dateRange": {"date_from": first.isoformat(), "date_to": last.isoformat()},
        }
    )


def _check(answer: dict[str, Any], expected: Paths, **top: int) -> None:
    assert answer["results"] == expected.top(**top)
    shown = {node for edge in answer["results"] for node in (edge["source"], edge["target"])}
    dropoffs = {d["node"]: d["value"] for d in answer["dropoffs"]}
    assert dropoffs == {node: len(p) for node, p in expected.dropoffs.items() if node in shown}
    by_step = {int(k): v for k, v in answer["dropoff_by_step"].items()}
    assert by_step == {k: len(p) for k, p in expected.by_step.items()}


def test_cleaned_page_paths(main: Project) -> None:
    answer = _ask(main, localPathCleaningFilters=CLEANING, stepLimit=5)
    expected = paths(main.events, *_window(), TZ, rules=RULES, steps=5)
    _check(answer, expected)
    assert answer["results"][0]["value"] > 3  # the data is not trivial
    assert any(r["target"].startswith("3_/user/:id") for r in answer["results"])
    assert any(len(p) > 1 for p in expected.dropoffs.values())


def test_paths_from_a_start_point(main: Project) -> None:
    answer = _ask(main, localPathCleaningFilters=CLEANING, startPoint="/pricing", stepLimit=4)
    expected = paths(main.events, *_window(), TZ, rules=RULES, start="/pricing", steps=4)
    _check(answer, expected)
    assert answer["results"] and all(r["source"] != "1_/" for r in answer["results"])
    assert {r["source"] for r in answer["results"] if r["source"].startswith("1_")} == {
        "1_/pricing"
    }


def test_paths_to_an_end_point_with_a_minimum_weight(main: Project) -> None:
    answer = _ask(
        main, localPathCleaningFilters=CLEANING, endPoint="/signup", stepLimit=3, minEdgeWeight=2
    )
    expected = paths(main.events, *_window(), TZ, rules=RULES, end="/signup", steps=3)
    _check(answer, expected, min_weight=2)
    assert answer["results"] and min(r["value"] for r in answer["results"]) >= 2


def test_raw_urls_and_custom_events(main: Project) -> None:
    raw = _ask(main, edgeLimit=10)
    every = paths(main.events, *_window(), TZ)
    _check(raw, every, limit=10)  # drop-offs of the 10 edges' nodes only
    shown = {node for edge in raw["results"] for node in (edge["source"], edge["target"])}
    assert raw["dropoffs"] and set(every.dropoffs) - shown
    assert raw["results"][0]["source"].startswith("1_https://shop.example.com/")
    both = _ask(main, includeEventTypes=["$pageview", "custom_event"], edgeLimit=20)
    expected = paths(main.events, *_window(), TZ, types=["$pageview", "custom_event"])
    assert both["results"] == expected.top(limit=20)
    assert any("purchase" in r["target"] for r in both["results"])


def test_excluded_items_and_events(main: Project) -> None:
    excluded = ("/docs", "purchase")
    answer = _ask(
        main,
        includeEventTypes=["$pageview", "custom_event"],
        localPathCleaningFilters=CLEANING,
        excludeEvents=list(excluded),
    )
    types = ["$pageview", "custom_event"]
    expected = paths(main.events, *_window(), TZ, types=types, rules=RULES, excluded=excluded)
    _check(answer, expected)
    assert not any("/docs" in r["source"] + r["target"] for r in answer["results"])


def test_screen_paths(main: Project) -> None:
    answer = _ask(main, includeEventTypes=["$screen"])
    assert answer["results"] == paths(main.events, *_window(), TZ, types=["$screen"]).top()
    assert {"source": "1_Home", "target": "2_Cart"} in [
        {"source": r["source"], "target": r["target"]} for r in answer["results"]
    ]


def test_each_project_sees_only_its_paths(projects: tuple[Project, Project]) -> None:
    main, other = projects
    answer = _ask(other, localPathCleaningFilters=CLEANING)
    expected = paths(other.events, *_window(), TZ, rules=RULES)
    _check(answer, expected)
    assert max(r["value"] for r in answer["results"]) <= 2
    assert answer["results"] != _ask(main, localPathCleaningFilters=CLEANING)["results"]


@pytest.mark.parametrize(
    ("spec", "code", "words"),
    [
        ({"localPathCleaningFilters": [{"regex": "(?=x)", "alias": ""}]}, "invalid_regex", "RE2"),
        ({"stepLimit": 1}, "invalid_query", "stepLimit"),
        ({"includeEventTypes": ["hogql"]}, "invalid_query", "includeEventTypes"),
    ],
)
def test_bad_paths_are_400(main: Project, spec: dict[str, Any], code: str, words: str) -> None:
    answer = main.query({"kind": "PathsQuery", "pathsFilter": spec}, status=400)
    assert answer["code"] == code and words in answer["error"]
