"""Web analytics filters: sorted into page view, `$pathname` and session conditions; session
filters read the sessions subquery's columns, and only known ones."""

from __future__ import annotations

import pytest

from hedgerow.errors import BadRequest
from hedgerow.query.filters import PropertyReader
from hedgerow.query.sql import SqlParams
from hedgerow.query.web_filters import session_filters_sql, split_filters


def test_filters_are_sorted_by_what_they_are_conditions_on() -> None:
    browser = {"key": "$browser", "value": "Chrome"}
    person = {"key": "email", "value": "a@b.c", "type": "person"}
    path = {"key": "$pathname", "value": "/", "type": "event"}
    channel = {"key": "$channel_type", "value": "Direct", "type": "session"}
    found = split_filters([browser, path, channel, person])
    assert (found.events, found.paths, found.sessions) == ([browser, person], [path], [channel])
    assert split_filters({"type": "AND", "values": [channel]}).sessions == [channel]
    assert split_filters(None).events == []


def test_a_session_filter_inside_a_group_is_refused() -> None:
    group = {"type": "OR", "values": [{"key": "$channel_type", "type": "session", "value": "x"}]}
    with pytest.raises(BadRequest) as refused:
        split_filters([group])
    assert refused.value.code == "invalid_filter"


def test_session_filters_read_columns_and_refuse_unknown_ones() -> None:
    reader = PropertyReader(SqlParams(), {})
    spec = [{"key": "$entry_pathname", "value": "/", "type": "session", "operator": "regex"}]
    sql = session_filters_sql(spec, reader)
    assert sql is not None and "`$entry_pathname`" in sql and "properties" not in sql
    assert len(reader.regexes) == 1  # checked before the statement runs, as other regexes
    with pytest.raises(BadRequest) as refused:
        session_filters_sql([{"key": "$mood", "type": "session", "value": "x"}], reader)
    assert refused.value.code == "invalid_filter" and "$entry_pathname" in refused.value.args[0]
