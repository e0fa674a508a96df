"""`hedgerow persons delete DISTINCT_ID_OR_UUID [--delete-events] --project N`: erase a
person through the running server's API (the server owns the stores while it runs), then
follow the job with a progress line until it is done."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from typing import Any

POLL_SECONDS = 0.5
BAR = 30


class ApiError(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(body.get("error") or f"HTTP {status}")
        self.status = status


def _call(args: argparse.Namespace, method: str, path: str) -> dict[str, Any]:
    request = urllib.request.Request(
        args.url.rstrip("/") + path,
        method=method,
        headers={"Authorization": f"Bearer {args.api_key}", "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            body: dict[str, Any] = json.loads(answer.read() or b"{}")
            return body
    except urllib.error.HTTPError as exc:
        try:
            detail = json.loads(exc.read() or b"{}")
        except ValueError:
            detail = {}
        raise ApiError(exc.code, detail) from None


def _find_person(args: argparse.Namespace) -> dict[str, Any] | None:
    base = f"/api/projects/{args.project}/persons/"
    try:
        uuid.UUID(args.person)
    except ValueError:
        pass
    else:
        try:
            return _call(args, "GET", base + args.person + "/")
        except ApiError as exc:
            if exc.status != 404:
                raise
    query = urllib.parse.urlencode({"distinct_id": args.person})
    found: list[dict[str, Any]] = _call(args, "GET", f"{base}?{query}")["results"]
    return found[0] if found else None


def _progress_line(job: dict[str, Any]) -> str:
    filled = int(BAR * float(job["progress"]))
    line = f"\r[{'#' * filled}{'-' * (BAR - filled)}] {job['progress'] * 100:5.1f}% "
    line += f"{job['phase']:<10} {job['events_deleted']:,} events deleted"
    if job.get("error"):
        line += f" (retrying: {job['error'][:60]})"
    return line


def persons_delete(args: argparse.Namespace) -> int:
    if not args.api_key:
        print("hedgerow: give a personal API key (--api-key or HEDGEROW_API_KEY)", file=sys.stderr)
        return 2
    try:
        person = _find_person(args)
        if person is None:
            print(
                f"hedgerow: no person has the id or distinct id {args.person!r} in project "
                f"{args.project}",
                file=sys.stderr,
            )
            return 1
        ids = person["distinct_ids"]
        what = f"person {person['id']} and its {len(ids)} distinct id{'s' * (len(ids) != 1)}"
        what += " and all their events" if args.delete_events else " (their events stay)"
        print(f"erasing {what}: {', '.join(ids[:5])}{' ...' if len(ids) > 5 else ''}")
        if not args.yes:
            if not sys.stdin.isatty():
                print("hedgerow: confirm with --yes when not at a terminal", file=sys.stderr)
                return 2
            if input("Type 'delete' to go on: ").strip() != "delete":
                print("nothing erased")
                return 1
        flag = "true" if args.delete_events else "false"
        path = f"/api/projects/{args.project}/persons/{person['id']}/?delete_events={flag}"
        job = _call(args, "DELETE", path)
        while job["status"] not in ("done", "failed"):
            print(_progress_line(job), end="", file=sys.stderr, flush=True)
            time.sleep(POLL_SECONDS)
            job = _call(args, "GET", f"/api/projects/{args.project}/erasures/{job['id']}/")
        print(_progress_line(job), file=sys.stderr)
    except ApiError as exc:
        print(f"hedgerow: the server refused: {exc}", file=sys.stderr)
        return 1
    except (urllib.error.URLError, OSError) as exc:
        print(f"hedgerow: cannot reach the server at {args.url}: {exc}", file=sys.stderr)
        return 1
    if job["status"] != "done":
        print(f"hedgerow: erasure job {job['id']} failed: {job['error']}", file=sys.stderr)
        return 1
    print(
        f"erased: {job['persons']} person, {job['distinct_ids']} distinct ids, "
        f"{job['events_deleted']:,} events (job {job['id']})"
    )
    return 0


def add_persons_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    persons = commands.add_parser("persons", help="Manage persons through the running server.")
    persons_commands = persons.add_subparsers(dest="persons_command", required=True)
    delete = persons_commands.add_parser(
        "delete", help="Erase a person (and with --delete-events their events)."
    )
    delete.add_argument("person", metavar="DISTINCT_ID_OR_UUID")
    delete.add_argument("--delete-events", action="store_true", help="Also delete their events.")
    delete.add_argument("--project", type=int, required=True)
    delete.add_argument(
        "--url",
        default=os.environ.get("HEDGEROW_URL", "http://127.0.0.1:8000"),
        help="The server (default HEDGEROW_URL or http://127.0.0.1:8000).",
    )
    delete.add_argument(
        "--api-key",
        dest="api_key",
        default=os.environ.get("HEDGEROW_API_KEY", ""),
        help="A personal API key (default HEDGEROW_API_KEY).",
    )
    delete.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")
    delete.set_defaults(func=persons_delete)
