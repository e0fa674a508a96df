"""The event store: where processed events live and analytics queries run."""
