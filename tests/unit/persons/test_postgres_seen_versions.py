"""A PostgreSQL person store keeps the properties of the person versions it has read or
written, and answers from them only while the row is that version: a change by another
worker (another store), an erasure and a person made again under the same id, or a batch
that rolled back are all read from the database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hedgerow.persons.postgres import PostgresPersonStore
from hedgerow.persons.store import Person

T = "2026-01-01 00:00:00.000000"


@pytest.fixture()
def two(postgres_url: str) -> Iterator[tuple[PostgresPersonStore, PostgresPersonStore]]:
    stores = (PostgresPersonStore(postgres_url), PostgresPersonStore(postgres_url))
    yield stores
    for store in stores:
        store.close()


def _read(store: PostgresPersonStore, distinct_id: str) -> Person | None:
    """The person as a batch reads it (locked, through the prefetch)."""
    with store.transaction():
        store.prefetch([(1, distinct_id)])
        return store.get_by_distinct_id(1, distinct_id)


def _set(store: PostgresPersonStore, distinct_id: str, **properties: object) -> None:
    with store.transaction():
        store.prefetch([(1, distinct_id)])
        person = store.get_by_distinct_id(1, distinct_id)
        assert person is not None
        person.properties.update(properties)
        store.update_properties(person)


def test_a_change_by_another_worker_is_read(
    two: tuple[PostgresPersonStore, PostgresPersonStore],
) -> None:
    a, b = two
    with a.transaction():
        a.create(1, "u", properties={"plan": "free"}, created_at=T)
    first = _read(a, "u")  # a knows this version now
    assert first is not None and first.properties == {"plan": "free"}
    _set(b, "u", plan="pro")
    again = _read(a, "u")
    assert again is not None and again.properties == {"plan": "pro"}
    _set(a, "u", seats=3)  # a's own write, then b's read of it
    seen_by_b = _read(b, "u")
    assert seen_by_b is not None and seen_by_b.properties == {"plan": "pro", "seats": 3}


def test_what_a_batch_changed_without_writing_is_not_kept(
    two: tuple[PostgresPersonStore, PostgresPersonStore],
) -> None:
    a, _ = two
    with a.transaction():
        a.create(1, "u", properties={"plan": "free"}, created_at=T)
    with pytest.raises(RuntimeError), a.transaction():  # rolled back after changing it
        a.prefetch([(1, "u")])
        person = a.get_by_distinct_id(1, "u")
        assert person is not None
        person.properties["plan"] = "changed in a batch that failed"
        a.update_properties(person)
        raise RuntimeError("the batch fails")
    person = _read(a, "u")
    assert person is not None and person.properties == {"plan": "free"}
    with a.transaction():  # changed in memory only (as noisy properties are), not written
        a.prefetch([(1, "u")])
        person = a.get_by_distinct_id(1, "u")
        assert person is not None
        person.properties["$browser_version"] = 120
    person = _read(a, "u")
    assert person is not None and person.properties == {"plan": "free"}


def test_a_person_made_again_after_an_erasure_is_read(
    two: tuple[PostgresPersonStore, PostgresPersonStore],
) -> None:
    a, b = two
    with a.transaction():
        made = a.create(1, "u", properties={"name": "before"}, created_at=T)
    assert _read(a, "u") is not None
    assert b.erase(1, made.id) is not None  # by another process
    with b.transaction():
        again = b.create(1, "u", properties={"name": "after"}, created_at=T)
    assert again.id == made.id and again.version == made.version
    person = _read(a, "u")
    assert person is not None and person.properties == {"name": "after"}
