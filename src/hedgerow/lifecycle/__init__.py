"""The data lifecycle: erasing persons (the jobs in `jobs.py`, who is selected in
`selection.py`, the runner that carries a job through the stores in `runner.py`, the
`hedgerow persons delete` command in `command.py`) and deleting events past a project's
retention period (`retention.py`). docs/data-lifecycle.md tells the story."""
