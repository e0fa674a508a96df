"""`hedgerow migrate --to`: an embedded installation (SQLite and chDB in its data directory)
copied onto the servers (PostgreSQL of `--persons-url`, a ClickHouse server of
`--events-url`), in windows, resumable from a checkpoint in the data directory.

`command.py` runs the phases in order; `source.py` opens the embedded installation (and
refuses one a server has open); `postgres_copy.py` copies the app tables and the persons;
`event_windows.py` plans the events' windows and `clickhouse_copy.py` copies them and the
event store's other tables; `checkpoint.py` records what is done; `counts.py` compares both
sides at the end.
"""
