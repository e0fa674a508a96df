"""Saved insights and dashboards, kept in `meta.sqlite3` beside the projects and actions.

An insight is a named query (the body a client sends to `POST query/`); a dashboard holds
tiles, each a saved insight or a text card, placed on a 12-column grid. Nothing here runs a
query: the web app runs each tile's query through `POST query/` (and its result cache).
"""
