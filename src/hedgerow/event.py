"""The event as it travels from the intake log through the ingestion steps into the event
store: shared by `ingestion/` and `store/`, so neither imports the other for it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

EPOCH_MARKER = "1970-01-01 00:00:05.000000"


@dataclass(slots=True)
class IngestEvent:
    team_id: int
    uuid: str
    event: str
    distinct_id: str
    properties: dict[str, Any]
    timestamp: str
    now: str
    sent_at: str | None = None
    elements_chain: str = ""
    person_id: str = ""
    person_idx: int = 0  # the person store's index of `person_id`
    person_properties: dict[str, Any] = field(default_factory=dict)
    person_created_at: str = EPOCH_MARKER
    person_mode: str = "full"
    groups: list[str] = field(default_factory=lambda: [""] * 5)
    released: bool = False  # comes out of the event buffer: not to be held again

    def to_record(self) -> dict[str, Any]:
        """The intake record this event came from (what the event buffer keeps)."""
        return {
            "uuid": self.uuid,
            "event": self.event,
            "distinct_id": self.distinct_id,
            "properties": self.properties,
            "timestamp": self.timestamp,
            "now": self.now,
            "sent_at": self.sent_at,
        }

    @classmethod
    def from_intake(
        cls, team_id: int, record: dict[str, Any], *, released: bool = False
    ) -> IngestEvent:
        event = cls(
            team_id,
            record["uuid"],
            record["event"],
            record["distinct_id"],
            record["properties"],
            record["timestamp"],
            record["now"],
            record.get("sent_at"),
        )
        if released or record.get("history"):  # imported history is never held back
            event.released = True
        if chain := record.get("elements_chain"):  # an import's column (`hedgerow import`)
            event.elements_chain = chain
        return event
