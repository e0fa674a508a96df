"""The query layer: typed queries compiled into ClickHouse SQL."""
