"""The HTTP API under /api: projects, queries, persons, events and ingestion status."""
