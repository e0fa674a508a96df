"""A `meta.sqlite3` written before organizations and web-app keys opens upgraded."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from hedgerow.accounts.keys import PersonalKeys
from hedgerow.projects import ProjectCatalog, hash_key

OLD_SCHEMA = """
CREATE TABLE projects (
    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, token TEXT NOT NULL UNIQUE,
    timezone TEXT NOT NULL DEFAULT 'UTC', created_at REAL NOT NULL
);
CREATE TABLE api_keys (key_hash TEXT PRIMARY KEY, label TEXT NOT NULL, created_at REAL NOT NULL);
CREATE TABLE api_key_projects (
    key_hash TEXT NOT NULL, project_id INTEGER NOT NULL, PRIMARY KEY (key_hash, project_id)
);
"""


def test_old_projects_and_keys_survive(tmp_path: Path) -> None:
    path = tmp_path / "meta.sqlite3"
    conn = sqlite3.connect(path)
    conn.executescript(OLD_SCHEMA)
    conn.execute("INSERT INTO projects VALUES (1, 'Old', 'phc_old', 'UTC', 0)")
    conn.execute("INSERT INTO api_keys VALUES (?, 'old', 0)", (hash_key("phx_old"),))
    conn.execute("INSERT INTO api_key_projects VALUES (?, 1)", (hash_key("phx_old"),))
    conn.commit()
    conn.close()

    catalog = ProjectCatalog(path)
    [old] = catalog.all()
    assert old.organization_id == 1
    assert old.cookieless_server_hash_mode == 0  # off until the project turns it on
    organization = catalog.organization(1)
    assert organization is not None and organization.name == "Default organization"
    assert catalog.projects_for_key("phx_old") == {1}

    keys = PersonalKeys(path)
    key, value = keys.create(user_id=1, organization_id=1, label="new")
    later = catalog.create_project("Later")
    assert catalog.projects_for_key(value) == {1, later.id}  # the organization's, now and later
    assert catalog.projects_for_key("phx_old") == {1}  # a key for a list of projects
    assert keys.revoke(1, key.id) and catalog.projects_for_key(value) is None
    keys.close()
    catalog.close()
    ProjectCatalog(path).close()  # opening an upgraded file again changes nothing
