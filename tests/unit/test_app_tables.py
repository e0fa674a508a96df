"""The seam between the app's stores and their two databases (`hedgerow.app_tables`): the
same statements give the same answers on SQLite and on PostgreSQL. Each test runs on both
(the `app_tables` fixture): searches that contain LIKE's wildcards, the order of
dashboards, ids given by `RETURNING`, unique keys refused, flags, and transactions that
roll back whole."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hedgerow.accounts.keys import PersonalKeys
from hedgerow.accounts.users import UserExists, UserStore
from hedgerow.actions import ActionStore
from hedgerow.app_tables.connection import AppTables
from hedgerow.audit import CLI, AuditLog
from hedgerow.insights.dashboards import DashboardStore
from hedgerow.insights.schema import SavedDb
from hedgerow.insights.store import InsightStore
from hedgerow.projects import ProjectCatalog

QUERY = {"kind": "TrendsQuery", "series": [{"event": "$pageview"}], "b": 1, "a": 2}
NAMES = ["50% off", "500 club", "a_b", "axb", "back\\slash", "backslash", "Ünïcode"]


@pytest.fixture()
def saved(app_tables: AppTables) -> Iterator[SavedDb]:
    db = SavedDb(app_tables)
    yield db
    db.close()


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("50%", ["50% off"]),
        ("a_b", ["a_b"]),
        ("\\", ["back\\slash"]),
        ("OFF", ["50% off"]),
        ("0", ["50% off", "500 club"]),
        ("nothing", []),
    ],
)
def test_searches_match_wildcards_as_text(saved: SavedDb, search: str, expected: list[str]) -> None:
    insights, dashboards = InsightStore(saved), DashboardStore(saved)
    for name in NAMES:
        insights.create(1, name, "", QUERY, None)
        dashboards.create(1, name, "", None)
    count, found = insights.search(1, search=search)
    assert sorted(i.name for i in found) == expected and count == len(expected)
    count, boards = dashboards.search(1, search)
    assert sorted(d.name for d, _ in boards) == expected and count == len(expected)


def test_dashboards_list_pinned_first_then_by_name_ignoring_case(saved: SavedDb) -> None:
    dashboards = DashboardStore(saved)
    ids = {name: dashboards.create(7, name, "", None).id for name in ["beta", "Alpha", "gamma"]}
    dashboards.update(7, ids["gamma"], {"pinned": True})
    _, listed = dashboards.search(7)
    assert [(d.name, d.pinned) for d, _ in listed] == [
        ("gamma", True),
        ("Alpha", False),
        ("beta", False),
    ]
    assert dashboards.search(8) == (0, [])  # another project's


def test_tile_changes_roll_back_whole(saved: SavedDb) -> None:
    dashboards, insights = DashboardStore(saved), InsightStore(saved)
    board = dashboards.create(1, "Board", "", None)
    chart = insights.create(1, "Chart", "", QUERY, None)
    dashboards.add_tile(1, board.id, insight_id=chart.id)
    [tile] = dashboards.get(1, board.id).tiles  # type: ignore[union-attr]
    with pytest.raises(KeyError):  # the second change lacks its text: nothing changes
        dashboards.change_tiles(1, board.id, [{"id": tile.id, "deleted": True}, {"color": "x"}])
    after = dashboards.get(1, board.id)
    assert after is not None and after.tiles == [tile]
    assert insights.get(1, chart.id).query == QUERY  # type: ignore[union-attr]  # keys kept in order
    assert list(insights.get(1, chart.id).query) == list(QUERY)  # type: ignore[union-attr]


def test_ids_keys_and_flags(app_tables: AppTables) -> None:
    catalog = ProjectCatalog(app_tables)
    project, key = catalog.bootstrap("", "")
    assert project.id == 1 and key is not None and catalog.organization(1) is not None
    other = catalog.create_project("Other")
    assert other.id == 2 and catalog.by_token(other.token) == other
    assert catalog.create_api_key([1], "again", key) == key  # the same key twice: kept once
    access = catalog.key_access(key)
    assert access is not None and access.projects == {1} and access.label == "first start"
    changed = catalog.update_project(2, anonymize_ips=True, retention_days=30)
    assert changed.anonymize_ips is True and changed.retention_days == 30

    keys = PersonalKeys(app_tables)
    made, value = keys.create(user_id=5, organization_id=1, label="robot")
    web_access = catalog.key_access(value)
    assert web_access is not None and web_access.key_id == made.id != access.key_id
    assert web_access.projects == {1, 2} and web_access.whole_organization
    assert [k.id for k in keys.of_user(5)] == [made.id]
    assert keys.revoke(5, made.id) and not keys.revoke(5, made.id)
    assert catalog.key_access(value) is None and keys.of_user(5) == []
    keys.close()
    catalog.close()


def test_users_setup_token_actions_and_the_audit_log(app_tables: AppTables) -> None:
    ProjectCatalog(app_tables).close()  # the default organization
    users = UserStore(app_tables)
    token = users.new_setup_token()
    assert not users.use_setup_token("wrong")
    first = users.create("Ann@Example.com", "hash")
    assert users.by_id(first.id) == first and first.email == "ann@example.com"
    with pytest.raises(UserExists):
        users.create("ANN@example.com", "hash")
    assert not users.use_setup_token(token)  # a user exists now
    users.close()

    actions = ActionStore(app_tables)
    made = actions.create(1, "Signed up", "", [{"event": "signed_up"}])
    version = actions.version(1)
    actions.update(1, made.id, deleted=True)
    assert actions.all(1) == [] and actions.get(1, made.id) is None
    assert actions.get(1, made.id, deleted=True) is not None and actions.version(1) != version
    assert actions.get(1, 2**64) is None
    actions.close()

    log = AuditLog(app_tables)
    entries = [log.record(CLI, "project_created", "Project", n, project_id=1) for n in range(3)]
    assert [e.id for e in log.of_project(1, 2, 1)] == [entries[1].id, entries[0].id]
    assert log.of_organization(1, 10, 0)[0].item_id == "2"
    log.close()
