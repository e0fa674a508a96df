"""Import: events from files (PostHog's batch export shape in JSON lines or Parquet, ours from
`hedgerow export`, or CSV with a column mapping) through the normal ingestion pipeline, with
a checkpoint per file to resume at the row reached and a report of every rejected row
(docs/data-lifecycle.md#import)."""
