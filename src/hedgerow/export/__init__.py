"""Export: any events query (an `EventsQuery`'s filters or a `HogQLQuery`'s SQL) to CSV, JSON
lines or Parquet, streamed block by block from the event store so that memory stays bounded
whatever the row count (docs/export.md)."""
