"""A worker sharing the intake stream writes nothing once its leases may have lapsed: the
fence is checked before its person changes commit, not only before its events are inserted
(a late person commit would land after the next owner's changes of the same persons)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import pytest
from worker_stores import Workers, append, intake_record

from hedgerow.intake.consumers import LeaseLost
from hedgerow.intake.log import IntakeEntry


class LapsingLeases:
    """The worker's `Handover`, whose leases lapse when the test says so: as if the batch
    read before was still in the worker's hands at its lease deadline."""

    def __init__(self) -> None:
        self.lapsed = False

    def start(self, schedule: Callable[[Callable[[], Any]], Future[Any]]) -> None:
        pass

    def close(self) -> None:
        pass

    def fence(self) -> None:
        if self.lapsed:
            raise LeaseLost("the leases lapsed")

    def scope(self) -> str:
        return "test"

    def may_be_stored(self, entries: list[IntakeEntry]) -> bool:
        return False


def test_no_person_change_commits_past_the_lease_deadline(workers: Workers) -> None:
    leases = LapsingLeases()
    worker = workers.open(handover=leases)
    append(worker, intake_record(1, "before", "alice", {"$set": {"plan": "free"}}))
    assert worker.run_once() == 1
    append(worker, intake_record(2, "after", "bob", {"$set": {"plan": "pro"}}))
    leases.lapsed = True
    with pytest.raises(LeaseLost):
        worker.run_once()
    assert worker.persons.get_by_distinct_id(1, "alice") is not None
    assert worker.persons.get_by_distinct_id(1, "bob") is None
    rows = worker.events.query("SELECT event FROM hedgerow.events ORDER BY event").rows
    assert [row[0] for row in rows] == ["before"]
