"""A row of an import file into an intake record, or its rejection; the readers' row
numbers, resuming after a number of rows, and CSV column mappings."""

from __future__ import annotations

import gzip
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from hedgerow.event import IngestEvent
from hedgerow.imports.readers import RowReader, count_rows, detect_format, parse_mapping
from hedgerow.imports.rows import Rejected, Rejection, to_record

NOW = "2026-12-07 12:00:00.000000"
ROW = {"event": "seen", "distinct_id": "ann", "timestamp": "2026-11-01T10:00:00.5+01:00"}


def test_a_batch_export_row_becomes_the_record_capture_would_write() -> None:
    row = {
        **ROW,
        "uuid": "0190B7A0-6C4E-7A31-8000-000000000001",
        "properties": '{"plan": "pro", "$set": {"a": 1}}',
        "set": {"b": 2},
        "set_once": '{"c": 3}',
        "elements_chain": 'button:text="Go"',
        "created_at": datetime(2026, 11, 1, 9, 0, 1, tzinfo=UTC),
        "person_properties": '{"ignored": true}',
    }
    record = to_record(row, NOW)
    assert record == {
        "uuid": "0190b7a0-6c4e-7a31-8000-000000000001",
        "event": "seen",
        "distinct_id": "ann",
        "properties": {"plan": "pro", "$set": {"a": 1, "b": 2}, "$set_once": {"c": 3}},
        "timestamp": "2026-11-01 09:00:00.500000",
        "now": "2026-11-01 09:00:01.000000",
        "sent_at": None,
        "history": True,
        "elements_chain": 'button:text="Go"',
    }
    event = IngestEvent.from_intake(1, record)
    assert event.released  # never held by the event buffer
    assert event.elements_chain == 'button:text="Go"'


def test_a_row_without_uuid_gets_one_from_its_content() -> None:
    first = to_record(ROW, NOW)
    assert uuid.UUID(first["uuid"]).version == 5
    assert to_record(dict(ROW), "2027-01-01 00:00:00.000000")["uuid"] == first["uuid"]
    assert first["now"] == NOW  # no created_at: the import's time
    assert to_record({**ROW, "distinct_id": "ben"}, NOW)["uuid"] != first["uuid"]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"event": ""}, "missing_event"),
        ({"distinct_id": "  "}, "missing_distinct_id"),
        ({"distinct_id": None}, "missing_distinct_id"),
        ({"distinct_id": "x" * 201}, "invalid_distinct_id"),
        ({"timestamp": None}, "missing_timestamp"),
        ({"timestamp": "soon"}, "invalid_timestamp"),
        ({"created_at": "later"}, "invalid_timestamp"),
        ({"uuid": "nope"}, "invalid_uuid"),
        ({"properties": "{bad"}, "invalid_json_column"),
        ({"properties": [1]}, "invalid_json_column"),
        ({"set": "3"}, "invalid_json_column"),
    ],
)
def test_rejections(change: dict[str, Any], reason: str) -> None:
    with pytest.raises(Rejected) as caught:
        to_record({**ROW, **change}, NOW)
    assert caught.value.rejection.reason == reason
    assert caught.value.rejection.message


def test_numbers_and_booleans_as_distinct_ids_are_text() -> None:
    assert to_record({**ROW, "distinct_id": 42}, NOW)["distinct_id"] == "42"
    assert to_record({**ROW, "timestamp": 1_700_000_000_000}, NOW)["timestamp"].startswith(
        "2023-11-14 22:13:20"
    )


def _rows(reader: RowReader, skip: int = 0) -> list[tuple[int, Any]]:
    return list(reader.rows(skip))


def test_json_lines_numbers_lines_and_resumes_after_rows(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl.gz"
    with gzip.open(path, "wt") as out:
        out.write('{"event": "a"}\n\n{oops\n[1]\n{"event": "b"}\n')
    reader = RowReader(path, detect_format(path))
    rows = _rows(reader)
    assert [n for n, _ in rows] == [1, 3, 4, 5]
    assert rows[0][1] == {"event": "a"} and rows[3][1] == {"event": "b"}
    assert isinstance(rows[1][1], Rejection) and rows[1][1].reason == "invalid_json"
    assert isinstance(rows[2][1], Rejection) and rows[2][1].reason == "invalid_json"
    assert _rows(reader, skip=3) == [(5, {"event": "b"})]
    assert count_rows(path, "jsonl") is None  # compressed: unknown


def test_csv_mapping_quoted_newlines_and_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "who,what,when,plan,extra,properties\n"
        'ann,seen,2026-11-01,pro,x,"{""a"": 1}"\n'
        'ben,"two\nlines",2026-11-02,,y,\n'
        "carl,short\n"
        "dora,seen,2026-11-03,free,z,\n"
    )
    mapping = parse_mapping(
        {"who": "distinct_id", "what": "event", "when": "timestamp", "plan": "properties.plan"}
    )
    reader = RowReader(path, "csv", mapping)
    rows = _rows(reader)
    assert [n for n, _ in rows] == [2, 3, 5, 6]
    assert rows[0][1] == {
        "distinct_id": "ann",
        "event": "seen",
        "timestamp": "2026-11-01",
        "properties": {"a": 1, "plan": "pro"},
    }
    assert rows[1][1] == {"distinct_id": "ben", "event": "two\nlines", "timestamp": "2026-11-02"}
    assert isinstance(rows[2][1], Rejection) and rows[2][1].reason == "invalid_csv_row"
    assert reader.ignored_columns == ["extra"]
    assert [n for n, _ in _rows(reader, skip=2)] == [5, 6]
    assert count_rows(path, "csv") == 5  # lines less the header: an estimate


def test_a_mapping_to_an_unknown_field_is_refused() -> None:
    with pytest.raises(ValueError, match="person_id"):
        parse_mapping({"a": "person_id"})
    with pytest.raises(ValueError):
        parse_mapping({"a": "elements_chain.x"})
    assert parse_mapping({"a": "set_once.first"}) == {"a": "set_once.first"}


def test_parquet_rows_resume_inside_a_row_group(tmp_path: Path) -> None:
    path = tmp_path / "events.parquet"
    table = pa.table(
        {
            "uuid": [str(uuid.uuid4()) for _ in range(10)],
            "event": [f"e{i}" for i in range(10)],
            "person_properties": ["{}"] * 10,
        }
    )
    pq.write_table(table, path, row_group_size=4)
    reader = RowReader(path, "parquet")
    rows = _rows(reader)
    assert [n for n, _ in rows] == list(range(1, 11))
    assert set(rows[0][1]) == {"uuid", "event"}  # only the fields read
    assert [row["event"] for _, row in _rows(reader, skip=6)] == ["e6", "e7", "e8", "e9"]
    assert _rows(reader, skip=10) == []
    assert count_rows(path, "parquet") == 10


def test_every_rejection_reason_is_documented() -> None:
    root = Path(__file__).resolve().parents[3]
    source = "".join(p.read_text() for p in (root / "src/hedgerow/imports").glob("*.py"))
    reasons = set(re.findall(r'Reject(?:ed|ion)\(\s*"([a-z_]+)"', source))
    assert "invalid_json" in reasons and "missing_timestamp" in reasons
    docs = (root / "docs/data-lifecycle.md").read_text()
    assert {r for r in reasons if f"| `{r}` |" not in docs} == set()
