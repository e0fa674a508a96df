"""The app's own tables (organizations, projects, keys, users, sessions, actions, insights,
dashboards, the audit log) on SQLite (`meta.sqlite3`, the default) or on PostgreSQL (with
`--persons-url`, beside the persons).

Each store keeps its own SQL, written in the subset both engines run (`?` placeholders,
`INSERT ... ON CONFLICT DO NOTHING`, `INSERT ... RETURNING id`, booleans compared with
`NOT column`); `connection.py` is the thin seam between them, `postgres_schema.py` the
PostgreSQL tables as numbered migrations.
"""
