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
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

from common import TOKEN, EventFactory, Server, batch_body, md_table, median, report

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50, help="events per /batch/ request")
    parser.add_argument("--quick", action="store_true", help="one 5 s run per scenario")
    parser.add_argument("--runs", type=int, default=None, help="default 3 (1 with --quick)")
    parser.add_argument("--duration", type=float, default=None, help="seconds, default 10")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    runs = args.runs or (1 if args.quick else 3)
    duration = args.duration or (5.0 if args.quick else 10.0)
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install -y wrk")
    version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split()[1]

    factory = EventFactory(seed=7)
    rows, data = (
        [],
        {
            "scenarios": {},
            "runs": runs,
            "duration_s": duration,
            "connections": args.connections,
            "threads": args.threads,
            "wrk": version,
        },
    )
    with tempfile.TemporaryDirectory(prefix="capture-bench-") as tmp, Server() as server:
        time.sleep(3)
        data["idle_memory_mib"] = idle = server.memory_mib()
        scenarios = {
            "batch": ("/batch/", [batch_body(factory, args.events) for _ in range(64)]),
            "single": ("/e/", [single_body(factory) for _ in range(64)]),
        }
        for name, (path, bodies) in scenarios.items():
            body_file, script = Path(tmp, f"{name}.jsonl"), Path(tmp, f"{name}.lua")
            body_file.write_bytes(b"\n".join(bodies) + b"\n")
            script.write_text(LUA % {"file": json.dumps(str(body_file)), "path": json.dumps(path)})
            per_request = args.events if name == "batch" else 1
            server.wait_drained(300)
            wrk(server, script, 2, args)  # warm-up
            results = []
            for _ in range(runs):
                drained, _status = server.wait_drained(300)
                result = wrk(server, script, duration, args)
                result["drained_before"] = drained
                result["queued_after"] = server.status()["queued"]
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
                    f"{name}: POST {path} ({per_request} ev/request, "
                    f"{data['scenarios'][name]['body_bytes']:,} B)",
                    f"{chosen['req_per_s']:,.0f}",
                    f"{chosen['events_per_s']:,.0f}",
                    " / ".join(f"{r['events_per_s']:,.0f}" for r in results),
                    f"{chosen['p50_us'] / 1000:.1f}",
                    f"{chosen['p99_us'] / 1000:.1f}",
                    f"{chosen['max_us'] / 1000:.0f}",
                    errors,
                    f"{chosen['queued_after']:,}",
                ]
            )
        data["alive_after"] = server.alive()
        data["memory_after_mib"] = server.memory_mib() if server.alive() else None
        data["final_status"] = server.status() if server.alive() else None
        data["log_problems"] = server.log_problems()

    table = md_table(
        [
            "scenario",
            "req/s",
            "events/s",
            "events/s per run",
            "p50 ms",
            "p99 ms",
            "max ms",
            "errors (non-200 + socket)",
            "queued after run",
        ],
        rows,
    )
    after = data["memory_after_mib"] or {}
    notes = [
        f"wrk ({version}) -t{args.threads} -c{args.connections}, {runs} run(s) of {duration:.0f} "
        "s after a 2 s warm-up; median run shown; the backlog was drained before each run.",
        f"Server RSS idle before load: {idle['VmRSS']} MiB; after the load: "
        f"{after.get('VmRSS', '?')} MiB (peak {after.get('VmHWM', '?')} MiB).",
        f"Server alive after the load: {data['alive_after']}. Error lines in the server log: "
        f"{len(data['log_problems'])}"
        + ("" if not data["log_problems"] else " — first: " + data["log_problems"][0][:200]),
    ]
    codes = {
        name: s["reported"]["codes"]
        for name, s in data["scenarios"].items()
        if s["reported"]["codes"]
    }
    if codes:
        notes.append(
            f"Non-200 status codes: {codes}; sample body: "
            + next(s["reported"]["error_sample"] for s in data["scenarios"].values())
        )
    report("capture", "Capture throughput (real server, wrk)", [table, *notes], data)


if __name__ == "__main__":
    main()
