"""The SQL parser and printer on their own: what they accept, what they print, and every
escape attempt refused with a position."""

from __future__ import annotations

import re

import pytest

from hedgerow.query.hogql import compile_hogql
from hedgerow.query.hogql.nodes import Call, Compare, Constant, Field, Select
from hedgerow.query.hogql.parser import parse_query
from hedgerow.query.hogql.run import CompiledQuery
from hedgerow.query.hogql.tokenizer import SqlError, SqlSyntaxError, tokenize
from hedgerow.query.sql import escape_text
from hedgerow.store.schema import OVERRIDE_MAP


def compile_(text: str, overrides: bool = False) -> CompiledQuery:
    return compile_hogql(
        text,
        team_id=7,
        timezone="UTC",
        materialized={"$browser": "mat_$browser"},
        pending_overrides=overrides,
    )


def refusal(text: str) -> str:
    with pytest.raises(SqlError) as caught:
        compile_(text)
    return str(caught.value)


def outside_quotes(sql: str) -> str:
    return re.sub(r"`(?:\\.|[^`\\])*`|'(?:\\.|[^'\\])*'", "", sql)


def table_reads(sql: str) -> list[str]:
    return re.findall(r"FROM (\w+\.\w+)", outside_quotes(sql))


# -- what is accepted ------------------------------------------------------------------


def test_parse_tree_of_a_simple_query() -> None:
    tree = parse_query("SELECT event, count() FROM events WHERE properties.planId = 'pro'")
    assert isinstance(tree, Select)
    assert tree.columns[0] == Field(["event"], 7)
    assert isinstance(tree.columns[1], Call) and tree.columns[1].name == "count"
    assert tree.where == Compare(
        "=", Field(["properties", "planId"], 40), Constant("pro", 60), start=58
    )


def test_every_table_read_is_scoped_to_the_project() -> None:
    compiled = compile_(
        "WITH b AS (SELECT distinct_id FROM events) "
        "SELECT e.event, p.id FROM events e JOIN persons p ON e.person_id = p.id "
        "LEFT JOIN person_distinct_ids d ON d.distinct_id = e.distinct_id "
        "WHERE e.distinct_id IN (SELECT distinct_id FROM b) "
        "AND e.uuid IN (SELECT uuid FROM events WHERE 1)"
    )
    reads = table_reads(compiled.sql)
    assert sorted(set(reads)) == [
        "hedgerow.events",
        "hedgerow.person_distinct_ids",
        "hedgerow.persons",
    ]
    team_filters = re.findall(r"WHERE team_id = \{(p\d+):Int64\}", compiled.sql)
    assert len(team_filters) == len(reads)
    assert {compiled.params[p] for p in team_filters} == {7}


def test_override_map_read_only_when_merges_are_pending() -> None:
    text = "SELECT person_id FROM events"
    assert OVERRIDE_MAP not in compile_(text).sql
    assert OVERRIDE_MAP in compile_(text, overrides=True).sql
    assert OVERRIDE_MAP not in compile_("SELECT event FROM events", overrides=True).sql


def test_strings_become_parameters() -> None:
    compiled = compile_(r"SELECT event FROM events WHERE event = 'it\'s'' here\n' OR event = '\\'")
    # Sent in ClickHouse's escaped text form, which the server reads back to the literal.
    assert escape_text("it's' here\n") in compiled.params.values()
    assert escape_text("\\") in compiled.params.values()
    assert "it" not in outside_quotes(compiled.sql).replace("LIMIT", "")


def test_properties_resolve_to_json_reads_and_materialized_columns() -> None:
    sql = compile_(
        "SELECT properties.$browser, properties['a b'], person.properties.email FROM events"
    ).sql
    assert "`events`.`mat_$browser`" in sql
    assert "JSONExtractRaw(`events`.properties" in sql
    assert "JSONExtractRaw(`events`.person_properties" in sql


def test_column_names_and_limits() -> None:
    compiled = compile_("SELECT event, count() AS n, properties.x FROM events GROUP BY event, 3")
    assert compiled.columns == ["event", "n", "properties.x"]
    assert compiled.limit == 100 and "LIMIT 101 OFFSET 0" in compiled.sql
    assert compile_("SELECT 1 LIMIT 5 OFFSET 2").sql.count("LIMIT 6 OFFSET 2") == 1
    assert compile_("SELECT 1 LIMIT 99999999").limit == 10_000


def test_settings_are_fixed_by_the_printer() -> None:
    compiled = compile_("SELECT 1")
    assert "SETTINGS" not in compiled.sql  # the store adds the query limits to these
    assert compiled.settings == {"readonly": 1, "session_timezone": "UTC"}


def test_negative_numbers_never_print_a_comment() -> None:
    sql = compile_("SELECT - -1, 1 - -1, -(-(1)), 2--1\n, 3").sql
    assert "--" not in outside_quotes(sql)


def test_lambdas_cases_casts_and_intervals() -> None:
    sql = compile_(
        "SELECT arrayMap(x -> x * 2, [1, 2]), arrayFilter((a, b) -> a > b, [1], [2]), "
        "CASE WHEN 1 THEN 'a' ELSE 'b' END, CAST(1 AS Nullable(Int64)), 1::String, "
        "now() - INTERVAL 2 DAYS, quantile(0.9)(1), 1 BETWEEN 0 AND 2, 'a' ILIKE '%A%', "
        "'x' =~ 'x', NULL IS NULL, (1, 2), count(DISTINCT 1)"
    ).sql
    for expected in [
        "arrayMap((x -> (x * 2)), [1, 2])",
        "((a, b) -> (a > b))",
        "CAST(1 AS Nullable(Int64))",
        "toIntervalDay(2)",
        "quantile(0.9)(1)",
        "match(",
        "count(DISTINCT 1)",
    ]:
        assert expected in sql


# -- what is refused -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "empty"),
        ("SELECT event FROM events WHERE team_id = 8", "only ever sees this project's rows"),
        ("SELECT * FROM system.tables", "no system tables"),
        ("SELECT * FROM system.one", "no system tables"),
        ("SELECT * FROM hedgerow.events", "not available"),
        ("SELECT * FROM `hedgerow`.`events`", "not available"),
        ("SELECT * FROM `hedgerow.events`", "not available"),
        ('SELECT * FROM "system"."tables"', "no system tables"),
        ("SELECT * FROM person_overrides", "unknown table"),
        ("SELECT * FROM numbers(10)", "table functions"),
        ("SELECT * FROM file('x')", "table functions"),
        ("SELECT * FROM url('http://x')", "table functions"),
        ("SELECT * FROM remote('h', system.one)", "table functions"),
        ("SELECT * FROM s3('x')", "table functions"),
        ("SELECT url('http://x')", "url() is not available"),
        ("SELECT dictGet('d', 'a', 1)", "dictGet() is not available"),
        ("SELECT sleep(3)", "sleep() is not available"),
        ("SELECT currentDatabase()", "currentDatabase() is not available"),
        ("INSERT INTO events SELECT * FROM events", "only SELECT"),
        ("insert into events values (1)", "only SELECT"),
        ("ALTER TABLE events DELETE WHERE 1", "only SELECT"),
        ("DROP TABLE events", "only SELECT"),
        ("TRUNCATE events", "only SELECT"),
        ("SET readonly = 0", "only SELECT"),
        ("SYSTEM SHUTDOWN", "only SELECT"),
        ("SELECT 1; SELECT 2", "one statement"),
        ("SELECT 1;; ", "one statement"),
        ("SELECT 1 SETTINGS readonly = 0", "SETTINGS"),
        ("SELECT 1 FORMAT TSV", "FORMAT"),
        ("SELECT 1 INTO OUTFILE 'x'", "INTO OUTFILE"),
        ("SELECT event FROM events FINAL", "FINAL"),
        ("SELECT event FROM events e PREWHERE 1", "PREWHERE"),
        ("SELECT 1 -- comment\n; DROP TABLE events", "one statement"),
        ("SELECT 1 /* ; DROP TABLE x */ FROM events /*", "unterminated comment"),
        ("SELECT 'abc", "unterminated string"),
        ("SELECT `abc FROM events", "unterminated quoted name"),
        ("SELECT `team_id` FROM events", "only ever sees"),
        ("SELECT `system.tables` FROM events", "unknown name"),
        ("SELECT properties FROM events, persons", "ambiguous"),
        ("SELECT e.x FROM events e", "events has no column 'x'"),
        ("SELECT * FROM events e JOIN events e ON 1", "used twice"),
        ("SELECT count() OVER () FROM events", "window functions"),
        ("SELECT CAST(1 AS Enum8('a' = 1))", "expected a type"),
        ("SELECT 1 FROM events WHERE", "unexpected the end"),
        ("SELECT " + "(" * 200 + "1" + ")" * 200, "nests deeper"),
        ("SELECT * FROM events LIMIT 1 BY event", "LIMIT BY"),
    ],
)
def test_refused(text: str, expected: str) -> None:
    assert expected in refusal(text)


def test_errors_carry_line_and_column() -> None:
    with pytest.raises(SqlSyntaxError) as caught:
        compile_("SELECT event\nFROM events\nWHERE event = ")
    assert caught.value.line == 3 and caught.value.column == 15
    assert str(caught.value).startswith("Syntax error at line 3, column 15:")
    with pytest.raises(SqlError) as resolved:
        compile_("SELECT event\n  FROM events WHERE nope = 1")
    assert "line 2, column 21" in str(resolved.value)


def test_tokenizer_unescapes_and_drops_comments() -> None:
    tokens = tokenize("SELECT 'a\\'b''c' -- x\n /* y */ `we``ird` \"q\" 1.5e3 0x1F")
    assert [t.value for t in tokens][:-1] == ["SELECT", "a'b'c", "we`ird", "q", "1.5e3", "0x1F"]


@pytest.mark.parametrize("alias", ["team_id", "TEAM_ID", "version"])
def test_aliases_cannot_take_hidden_column_names(alias: str) -> None:
    assert "is reserved" in refusal(f"SELECT 7 AS {alias} FROM events")
    assert "is reserved" in refusal(f"SELECT x FROM (SELECT 7 AS `{alias}`) s")


def test_quoted_names_cannot_hold_nul() -> None:
    assert "NUL" in refusal("SELECT 1 AS `a\0b`")


def test_subquery_columns_with_the_same_last_name() -> None:
    compiled = compile_(
        "SELECT s.properties FROM (SELECT e.properties, p.properties FROM events e "
        "JOIN persons p ON e.person_id = p.id) s"
    )
    assert compiled.sql.count("AS `properties`") == 1
