"""The intake log: ordered, durable storage between capture and ingestion."""
