"""Ingestion with identity traffic, persons on SQLite vs on PostgreSQL, in the same run.

The traffic of bench/persons.py (users browsing anonymously, `$identify`, backend sign-ups
merged by the identify, `$create_alias` chains; default 200,000 events of 20,000 users here),
built once and sent to two servers one after the other: the embedded configuration (persons
in `persons.sqlite3`) and `HEDGEROW_PERSONS_URL` on a throwaway PostgreSQL cluster of Debian's
binaries started for the run (tests/postgres_server.py; data on the same disk, fsync on, as
a server would run it). Each run checks its stored persons, distinct ids and overrides
against the expected numbers. Reported: ingestion events/s of each and their ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import Any

from common import Server, md_table, report
from persons import add_plan_arguments, plan, run

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from postgres_server import PostgresServer  # the tests' throwaway cluster


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_plan_arguments(parser)
    parser.add_argument("--timeout", type=float, default=1800)
    parser.set_defaults(users=20_000, rate=0)
    args = parser.parse_args()
    args.events = args.events or (100_000 if args.quick else 200_000)
    bodies, expected = plan(args)
    env = {"HEDGEROW_BUFFER_DELAY": "0", "HEDGEROW_SQUASH_INTERVAL": "0"}
    cluster = PostgresServer(durable=True).start()
    results: dict[str, dict[str, Any]] = {}
    sections: list[str] = []
    try:
        for name, extra in (("SQLite", {}), ("PostgreSQL", {"HEDGEROW_PERSONS_URL": cluster.url})):
            started = time.monotonic()
            with Server(**env, **extra) as server:
                parts, data = asyncio.run(run(args, server, bodies, expected))
            print(f"{name}: {time.monotonic() - started:.0f} s", flush=True)
            results[name] = data
            sections += [f"### Persons on {name}", *parts]
    finally:
        cluster.remove()
    lite, pg = results["SQLite"], results["PostgreSQL"]
    rows = []
    for label, key in (
        ("ingestion ev/s while the queue was non-empty", "rate_overall"),
        ("… while capture loads", "rate_during_load"),
        ("… draining alone", "rate_drain"),
    ):
        a, b = lite[key], pg[key]
        ratio = f"{b / a:.2f}" if a and b else "–"
        rows.append([label, f"{a:,.0f}" if a else "–", f"{b:,.0f}" if b else "–", ratio])
    rows.append(["until all processed, s", f"{lite['total_s']:.1f}", f"{pg['total_s']:.1f}", "–"])
    summary = md_table(["measure", "SQLite", "PostgreSQL", "PostgreSQL / SQLite"], rows)
    report(
        "persons_postgres",
        "Ingestion with identity traffic: persons on SQLite vs PostgreSQL",
        [summary, *sections],
        {"sqlite": lite, "postgres": pg, "events": args.events, "users": args.users},
    )


if __name__ == "__main__":
    main()
