"""Helpers shared by the benchmarks: machine description, synthetic PostHog-like events, the
real server in a subprocess, and result reports (markdown on stdout, JSON + markdown files in
bench/results/)."""

from __future__ import annotations

import bisect
import contextlib
import itertools
import json
import os
import platform
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
TOKEN = "phc_bench_token"
API_KEY = "phx_bench_key"

# -- machine and reports -------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kib = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )

    def version(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "not installed"

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gib": round(mem_kib / 1024**2, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "chdb": version("chdb"),
        "chdb_core": version("chdb-core"),
    }


def machine_md(m: dict[str, Any]) -> str:
    return (
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gib']} GiB RAM, Linux {m['kernel']}; "
        f"Python {m['python']}, chdb {m['chdb']} (chdb-core {m['chdb_core']})."
    )


def md_table(headers: list[str], rows: list[list[Any]]) -> str:
    def cell(value: Any) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def report(
    name: str, title: str, sections: list[str], data: dict[str, Any], out: Path = RESULTS
) -> None:
    """Print the markdown report and write <out>/<name>.{md,json} (out: bench/results/)."""
    info = machine()
    text = "\n\n".join([f"## {title}", machine_md(info), *sections]) + "\n"
    print(text)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.md").write_text(text)
    payload = {"benchmark": name, "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "machine": info}
    (out / f"{name}.json").write_text(json.dumps({**payload, **data}, indent=2) + "\n")


def server_env(entries: list[str]) -> dict[str, str]:
    """`--server-env NAME=VALUE` options as a dict."""
    return dict(entry.split("=", 1) for entry in entries)


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def median(values: list[float]) -> float:
    return statistics.median(values)


# -- synthetic events ----------------------------------------------------------------------

EVENTS = ["$pageview", "$autocapture", "$pageleave", "$identify", "signed_up", "$rageclick"]
EVENTS += [f"custom_event_{i:02d}" for i in range(24)]
EVENT_CUM = list(itertools.accumulate(1 / (k + 1) for k in range(len(EVENTS))))
BROWSERS = [
    "Chrome",
    "Safari",
    "Firefox",
    "Microsoft Edge",
    "Samsung Internet",
    "Opera",
    "Chrome iOS",
    "Firefox iOS",
    "Android Mobile",
    "Facebook Mobile",
    "Yandex",
    "UC Browser",
    "Internet Explorer",
    "Edge iOS",
    "Brave",
]
BROWSER_CUM = list(itertools.accumulate(1 / (k + 1) ** 1.3 for k in range(len(BROWSERS))))
OSES = ["Windows", "Mac OS X", "iOS", "Android", "Linux", "Chrome OS"]
DEVICES = ["Desktop", "Mobile", "Tablet"]
LIBS = ["web", "web", "web", "posthog-python", "posthog-node"]
PLANS = ["free", "starter", "pro", "team", "enterprise"]
PLAN_CUM = list(itertools.accumulate([0.55, 0.2, 0.12, 0.09, 0.04]))
WIDTHS = [360, 390, 414, 768, 1024, 1280, 1366, 1440, 1536, 1920, 2560]
PATHS = ["/", "/pricing", "/docs", "/blog", "/signup", "/login", "/settings", "/checkout"]
PATHS += [f"/docs/page-{i}" for i in range(60)] + [f"/blog/post-{i}" for i in range(120)]
UTM_SOURCES = ["google", "newsletter", "twitter", "linkedin", "github", "direct"]
SPARSE_POOL = 2000


class EventFactory:
    """Deterministic PostHog-like events: 10 common keys, a nested `utm` object and 5 sparse
    keys drawn from a pool of 2,000 (each sparse key always has the same value type)."""

    def __init__(self, seed: int = 1, distinct_ids: int = 100_000) -> None:
        self.rng = random.Random(seed)
        self.distinct_ids = distinct_ids

    def _pick(self, values: list[str], cum: list[float]) -> str:
        return values[bisect.bisect(cum, self.rng.random() * cum[-1])]

    def distinct_id(self) -> str:
        # Power-law activity: low ids are much busier than high ones.
        return f"user-{int(self.distinct_ids ** self.rng.random()) - 1:06d}"

    def event_name(self) -> str:
        return self._pick(EVENTS, EVENT_CUM)

    def properties(self, device_id: str | None = None) -> dict[str, Any]:
        r = self.rng
        props: dict[str, Any] = {
            "$current_url": f"https://app.example.com{r.choice(PATHS)}?ref={r.randrange(500)}",
            "$browser": self._pick(BROWSERS, BROWSER_CUM),
            "$os": r.choice(OSES),
            "$device_type": r.choice(DEVICES),
            "$lib": r.choice(LIBS),
            "$lib_version": "1.200.3",
            "planId": self._pick(PLANS, PLAN_CUM),
            "price": round(r.uniform(1, 500), 2),
            "$screen_width": r.choice(WIDTHS),
            "utm": {
                "source": r.choice(UTM_SOURCES),
                "medium": r.choice(["cpc", "email"]),
                "campaign": f"campaign-{r.randrange(40)}",
            },
        }
        if device_id is not None:
            props["$device_id"] = device_id  # an anonymous browser user: not buffered
        for key in r.sample(range(SPARSE_POOL), 5):
            kind = key % 4
            value: Any = (
                r.randrange(10_000),
                round(r.random() * 100, 3),
                f"value-{r.randrange(50)}",
                r.random() < 0.5,
            )[kind]
            props[f"sparse_{key:04d}"] = value
        return props

    def capture_event(self, timestamp: str) -> dict[str, Any]:
        """An event as posthog-python/-node put it in a /batch/ body (no uuid: the server
        generates one, so rotated bodies never collide)."""
        distinct_id = self.distinct_id()
        return {
            "event": self.event_name(),
            "distinct_id": distinct_id,
            "properties": self.properties(device_id=distinct_id),
            "timestamp": timestamp,
        }


def batch_body(factory: EventFactory, size: int) -> bytes:
    import orjson

    now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    events = [factory.capture_event(now) for _ in range(size)]
    return orjson.dumps({"api_key": TOKEN, "batch": events, "sent_at": now})


# -- the real server -----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) of a process, in KiB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key = line.split(":", 1)[0]
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(line.split()[1])
    return values


def process_tree(pid: int) -> list[int]:
    """The process and all its descendants (from /proc/<pid>/task/*/children)."""
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            with contextlib.suppress(OSError):
                todo += [int(child) for child in (task / "children").read_text().split()]
    return pids


def tree_rss_kib(pid: int) -> int:
    """Resident memory of a process and its descendants, in KiB (0 when it is gone)."""
    total = 0
    for member in process_tree(pid):
        with contextlib.suppress(OSError):
            total += proc_status(member).get("VmRSS", 0)
    return total


def tree_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) used so far by a process and its live descendants."""
    total = 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    for member in process_tree(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def own_cpu_seconds() -> float:
    """CPU time (user + system) of this process: what the load generator costs."""
    usage = os.times()
    return usage.user + usage.system


def server_environment(data_dir: Path, port: int, **env: str) -> dict[str, str]:
    """The environment of a `hedgerow` process of the benchmarks: this one's, with the data
    directory, port, the benchmarks' token and key, no event buffer delay, and `env`."""
    return {
        **os.environ,
        "HEDGEROW_DATA_DIR": str(data_dir),
        "HEDGEROW_HOST": "127.0.0.1",
        "HEDGEROW_PORT": str(port),
        "HEDGEROW_PROJECT_TOKEN": TOKEN,
        "HEDGEROW_API_KEY": API_KEY,
        "HEDGEROW_BUFFER_DELAY": "0",
        **env,
    }


class Server:
    """`python -m hedgerow serve` on 127.0.0.1 with its own temporary data directory (or
    `data_dir`, kept afterwards)."""

    def __init__(self, data_dir: Path | None = None, **env: str) -> None:
        self.tmp = tempfile.TemporaryDirectory(prefix="hedgerow-bench-")
        self.data_dir = data_dir or Path(self.tmp.name) / "data"
        self.log_path = Path(self.tmp.name) / "server.log"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        env = server_environment(self.data_dir, self.port, **self.env)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "hedgerow", "serve"],
                env=env,
                stdout=log,
                stderr=log,
                cwd=ROOT,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited on start:\n{self.log_tail()}")
            try:
                if httpx.get(self.url + "/_health", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.__exit__()
        raise RuntimeError(f"server did not become healthy in 60 s:\n{self.log_tail()}")

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.tmp.cleanup()

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def memory_mib(self) -> dict[str, float]:
        return {k: round(v / 1024, 1) for k, v in proc_status(self.pid).items()}

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def log_problems(self) -> list[str]:
        """Log lines that mention an error or a traceback (first 20)."""
        text = self.log_tail(10_000_000)
        lines = [ln for ln in text.splitlines() if "ERROR" in ln or "Traceback" in ln]
        return lines[:20]

    def status(self) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {API_KEY}"}
        response = httpx.get(self.url + "/api/projects/1/ingestion/", headers=headers, timeout=30)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def wait_drained(self, timeout: float) -> tuple[bool, dict[str, Any]]:
        deadline = time.monotonic() + timeout
        status = self.status()
        while status["queued"] > 0 and time.monotonic() < deadline:
            time.sleep(0.5)
            status = self.status()
        return status["queued"] == 0, status


class ApiClient:
    """The query API of a benchmark's server, with the benchmark key."""

    def __init__(self, url: str, timeout: float = 300) -> None:
        headers = {"Authorization": f"Bearer {API_KEY}"}
        self.api = httpx.AsyncClient(base_url=url, timeout=timeout, headers=headers)

    async def status(self) -> dict[str, Any]:
        response = await self.api.get("/api/projects/1/ingestion/")
        response.raise_for_status()
        return dict(response.json())

    async def query(self, query: dict[str, Any]) -> list[Any]:
        response = await self.api.post("/api/projects/1/query/", json={"query": query})
        response.raise_for_status()
        return list(response.json()["results"])
