"""Step results and the runner that passes each event through the steps in order.

A step is a plain function `(IngestEvent) -> StepResult`, built by a factory that takes what
the step needs. It returns `Ok` to go on, `Drop(reason)` to discard the event with its one
recorded reason, or `Delay(until)` to hold it back; it raises only when the whole batch must
be retried.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from hedgerow.event import IngestEvent
from hedgerow.ingestion.outcomes import DiscardReason, WarningType


@dataclass(frozen=True)
class Ok:
    pass


@dataclass(frozen=True)
class Drop:
    reason: DiscardReason
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Delay:
    until: float


StepResult = Ok | Drop | Delay
Step = Callable[[IngestEvent], StepResult]
OK = Ok()


@dataclass(frozen=True)
class Warning:
    team_id: int
    type: str
    event_uuid: str
    details: dict[str, Any]


@dataclass
class BatchOutcome:
    kept: list[IngestEvent] = field(default_factory=list)
    dropped: list[tuple[IngestEvent, Drop]] = field(default_factory=list)
    delayed: list[tuple[IngestEvent, Delay]] = field(default_factory=list)
    warnings: list[Warning] = field(default_factory=list)


class WarningSink:
    """Collects non-discarding warnings raised by steps during one batch."""

    def __init__(self) -> None:
        self.items: list[Warning] = []

    def warn(self, event: IngestEvent, type: WarningType, **details: Any) -> None:
        self.items.append(Warning(event.team_id, type.value, event.uuid, details))


def run_steps(events: Sequence[IngestEvent], steps: Sequence[tuple[str, Step]]) -> BatchOutcome:
    outcome = BatchOutcome()
    for event in events:
        result: StepResult = OK
        for _name, step in steps:
            result = step(event)
            if result is not OK:  # steps answer the one `OK`; anything else ends the run
                break
        if isinstance(result, Drop):
            outcome.dropped.append((event, result))
        elif isinstance(result, Delay):
            outcome.delayed.append((event, result))
        else:
            outcome.kept.append(event)
    return outcome
