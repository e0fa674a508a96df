"""Ingestion: read the intake log in order and run each event through named steps."""
