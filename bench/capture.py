"""Capture throughput of the real server, measured with wrk over 127.0.0.1.

Starts `python -m hedgerow serve` (own temporary data directory, free port, buffer off), reads
its idle RSS (/proc/<pid>/status VmRSS) 3 s after it is healthy, then runs two scenarios:
  batch   POST /batch/ with a posthog-python style body {api_key, batch: [N events], sent_at}
          (N = --events, default 50); reported as events acknowledged per second.
  single  POST /e/ with one posthog-js style event (token in properties); requests per second.
The bodies have no uuid (the server generates one) and rotate over 64 pre-built variants. Each
scenario: wait for the ingestion backlog to drain, a 2 s wrk warm-up, then --runs runs of 10 s
(each after the backlog drained again); the run with the median rate is reported with wrk's
p50/p99 latency. The ingestion worker runs in the same process during the load, as it would in
production. Non-200 answers are counted by status code; the server log is scanned for errors.
Nothing is pinned to a CPU.

`--intake sqlite,nats` measures the embedded intake log and the JetStream one (a nats-server
started here, on the same machine) in the same run, one after the other; each run also reports
the ingestion lag it caused (the worst `lag_seconds`, the queue left, the drain time).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import orjson

from common import TOKEN, EventFactory, Server, batch_body, md_table, median, report
from jetstream import JetStreamServer

LUA = """
local bodies = {}
for line in io.lines(%(file)s) do bodies[#bodies + 1] = line end
local i = math.random(#bodies)
codes = {}
sample = ""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  i = i %% #bodies + 1
  return wrk.format("POST", %(path)s, nil, bodies[i])
end
response = function(status, headers, body)
  if status ~= 200 then
    codes[tostring(status)] = (codes[tostring(status)] or 0) + 1
    if sample == "" then sample = body end
  end
end
local threads = {}
setup = function(thread) threads[#threads + 1] = thread end
done = function(summary, latency, requests)
  local parts = {}
  for _, t in ipairs(threads) do
    for code, n in pairs(t:get("codes")) do
      parts[#parts + 1] = string.format('"%%s":%%d', code, n)
    end
    local s = t:get("sample")
    if s ~= "" then io.write("SAMPLE ", s, "\\n") end
  end
  local e = summary.errors
  io.write(string.format('BENCH {"requests":%%d,"duration_us":%%d,"connect":%%d,"read":%%d,' ..
    '"write":%%d,"timeout":%%d,"non2xx":%%d,"p50_us":%%d,"p90_us":%%d,"p99_us":%%d,' ..
    '"max_us":%%d,"codes":{%%s}}\\n', summary.requests, summary.duration, e.connect, e.read,
    e.write, e.timeout, e.status, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, table.concat(parts, ",")))
end
"""


def single_body(factory: EventFactory) -> bytes:
    now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    distinct_id = factory.distinct_id()
    props = {
        **factory.properties(device_id=distinct_id),
        "token": TOKEN,
        "distinct_id": distinct_id,
        "$session_id": "0190c0de-aaaa-7bbb-8ccc-0123456789ab",
    }
    return orjson.dumps({"event": "$pageview", "properties": props, "timestamp": now})


def wrk(server: Server, script: Path, seconds: float, args: argparse.Namespace) -> dict[str, Any]:
    command = [
        "wrk",
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{round(seconds)}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        server.url,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("BENCH ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout}\n{done.stderr}")
    result: dict[str, Any] = json.loads(line[6:])
    samples = [ln[7:] for ln in done.stdout.splitlines() if ln.startswith("SAMPLE ")]
    result["error_sample"] = samples[0][:300] if samples else ""
    seconds_run = result["duration_us"] / 1e6
    result["ok"] = result["requests"] - result["non2xx"]
    result["req_per_s"] = result["ok"] / seconds_run
    return result


class LagSampler:
    """Samples the ingestion status every 0.5 s while a run goes on: the worst lag (seconds
    the oldest queued event had waited) and the deepest queue."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.max_lag = 0.0
        self.max_queued = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            try:
                status = self.server.status()
            except Exception:  # a status that timed out under load: the next one counts
                continue
            self.max_lag = max(self.max_lag, float(status.get("lag_seconds", 0.0)))
            self.max_queued = max(self.max_queued, int(status["queued"]))

    def __enter__(self) -> LagSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def measure(
    server: Server,
    tmp: str,
    intake: str,
    factory: EventFactory,
    args: argparse.Namespace,
    runs: int,
    duration: float,
) -> tuple[list[list[Any]], dict[str, Any]]:
    """Both scenarios against one server: the table rows and the data."""
    rows: list[list[Any]] = []
    data: dict[str, Any] = {"scenarios": {}}
    time.sleep(3)
    data["idle_memory_mib"] = server.memory_mib()
    scenarios = {
        "batch": ("/batch/", [batch_body(factory, args.events) for _ in range(64)]),
        "single": ("/e/", [single_body(factory) for _ in range(64)]),
    }
    for name, (path, bodies) in scenarios.items():
        body_file, script = Path(tmp, f"{intake}-{name}.jsonl"), Path(tmp, f"{intake}-{name}.lua")
        body_file.write_bytes(b"\n".join(bodies) + b"\n")
        script.write_text(LUA % {"file": json.dumps(str(body_file)), "path": json.dumps(path)})
        per_request = args.events if name == "batch" else 1
        server.wait_drained(300)
        wrk(server, script, 2, args)  # warm-up
        results = []
        for _ in range(runs):
            drained, _status = server.wait_drained(300)
            with LagSampler(server) as lag:
                result = wrk(server, script, duration, args)
            ended = time.monotonic()
            result["drained_before"] = drained
            result["queued_after"] = server.status()["queued"]
            server.wait_drained(300)
            result["drain_s"] = time.monotonic() - ended
            result["max_lag_s"] = lag.max_lag
            result["max_queued"] = lag.max_queued
            result["events_per_s"] = result["req_per_s"] * per_request
            results.append(result)
            if not server.alive():
                break
        chosen = sorted(results, key=lambda r: r["req_per_s"])[len(results) // 2]
        data["scenarios"][name] = {
            "path": path,
            "events_per_request": per_request,
            "body_bytes": round(median([len(b) for b in bodies])),
            "runs": results,
            "reported": chosen,
        }
        errors = sum(
            r["non2xx"] + r["connect"] + r["read"] + r["write"] + r["timeout"] for r in results
        )
        rows.append(
            [
                intake,
                f"{name}: POST {path} ({per_request} ev/request, "
                f"{data['scenarios'][name]['body_bytes']:,} B)",
                f"{chosen['req_per_s']:,.0f}",
                f"{chosen['events_per_s']:,.0f}",
                " / ".join(f"{r['events_per_s']:,.0f}" for r in results),
                f"{chosen['p50_us'] / 1000:.1f}",
                f"{chosen['p99_us'] / 1000:.1f}",
                f"{chosen['max_lag_s']:.1f}",
                f"{chosen['queued_after']:,}",
                f"{chosen['drain_s']:.1f}",
                errors,
            ]
        )
    data["alive_after"] = server.alive()
    data["memory_after_mib"] = server.memory_mib() if server.alive() else None
    data["final_status"] = server.status() if server.alive() else None
    data["log_problems"] = server.log_problems()
    return rows, data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50, help="events per /batch/ request")
    parser.add_argument("--quick", action="store_true", help="one 5 s run per scenario")
    parser.add_argument("--runs", type=int, default=None, help="default 3 (1 with --quick)")
    parser.add_argument("--duration", type=float, default=None, help="seconds, default 10")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--intake",
        default="sqlite",
        help="intake logs to measure in turn, comma-separated: sqlite (embedded), nats "
        "(JetStream on a nats-server this script starts); e.g. --intake sqlite,nats",
    )
    args = parser.parse_args()
    intakes = [name.strip() for name in args.intake.split(",") if name.strip()]
    if not intakes or set(intakes) - {"sqlite", "nats"}:
        sys.exit("--intake takes sqlite, nats or both (sqlite,nats)")
    runs = args.runs or (1 if args.quick else 3)
    duration = args.duration or (5.0 if args.quick else 10.0)
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install -y wrk")
    version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split()[1]

    rows: list[list[Any]] = []
    data: dict[str, Any] = {
        "intakes": {},
        "runs": runs,
        "duration_s": duration,
        "connections": args.connections,
        "threads": args.threads,
        "wrk": version,
    }
    notes = []
    with tempfile.TemporaryDirectory(prefix="capture-bench-") as tmp:
        for intake in intakes:
            with contextlib.ExitStack() as stack:
                env = {}
                if intake == "nats":
                    nats = stack.enter_context(JetStreamServer())
                    env["HEDGEROW_INTAKE_URL"] = nats.url
                server = stack.enter_context(Server(**env))
                intake_rows, intake_data = measure(
                    server, tmp, intake, EventFactory(seed=7), args, runs, duration
                )
            rows.extend(intake_rows)
            data["intakes"][intake] = intake_data
            idle, after = intake_data["idle_memory_mib"], intake_data["memory_after_mib"] or {}
            problems = intake_data["log_problems"]
            notes.append(
                f"{intake}: server RSS idle {idle['VmRSS']} MiB, after the load "
                f"{after.get('VmRSS', '?')} MiB (peak {after.get('VmHWM', '?')} MiB); alive "
                f"after: {intake_data['alive_after']}; error lines in its log: {len(problems)}"
                + ("" if not problems else " — first: " + problems[0][:200])
            )
            codes = {
                name: s["reported"]["codes"]
                for name, s in intake_data["scenarios"].items()
                if s["reported"]["codes"]
            }
            if codes:
                notes.append(
                    f"{intake}: non-200 status codes: {codes}; sample body: "
                    + next(s["reported"]["error_sample"] for s in intake_data["scenarios"].values())
                )

    table = md_table(
        [
            "intake",
            "scenario",
            "req/s",
            "events/s",
            "events/s per run",
            "p50 ms",
            "p99 ms",
            "max lag s",
            "queued after run",
            "drain s",
            "errors (non-200 + socket)",
        ],
        rows,
    )
    notes.insert(
        0,
        f"wrk ({version}) -t{args.threads} -c{args.connections}, {runs} run(s) of "
        f"{duration:.0f} s after a 2 s warm-up; median run shown; the backlog was drained "
        "before each run. Ingestion runs in the server during the load. Max lag: the worst "
        "`lag_seconds` of the ingestion status sampled every 0.5 s during the run; drain: "
        "seconds from the end of the run until nothing was queued.",
    )
    report("capture", "Capture throughput (real server, wrk)", [table, *notes], data)


if __name__ == "__main__":
    main()
