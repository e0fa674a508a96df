"""Web analytics: channel types of sessions (see docs/web-analytics.md)."""
