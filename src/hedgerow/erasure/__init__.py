"""Erasing persons: the jobs (`jobs.py`), who is selected (`selection.py`) and the runner
that carries a job through the stores (`runner.py`). docs/data-lifecycle.md tells the story."""
