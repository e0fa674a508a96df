"""Backup and restore benchmark (issue 20): seconds to back up and restore a data directory,
and the capture rate while a backup runs beside the rate without one, in the same run.

    python bench/backup.py --data-dir /work/bench-data/events-10m [--seconds 20]

`--data-dir` is COPIED to a temporary directory first (the source is never written). Steps:
a server on the copy; --seconds of closed-loop capture (64 senders, the soak's mix without
queries) for the rate without a backup; then `hedgerow backup` through the running server
with the same capture beside it until the backup ends (its rate and the backup's seconds);
the server stops; `hedgerow restore` into a new directory (seconds, rows checked by the
command). Prints a Markdown report and writes bench/results/backup.{md,json}."""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from common import Server, md_table, report
from loadgen import Driver, Mix, Traffic

MIX = Mix(single_share=0.1, batch_size=50, bad_share=0.0, queries_per_s=0.0)
CLIENTS = 64


async def capture_rate(server: Server, seconds: float) -> float:
    """Accepted events/s of closed-loop capture for `seconds`."""
    driver = Driver(server.port, Traffic(str(uuid.uuid4())), MIX)
    started = time.monotonic()
    await driver.closed_loop(seconds, CLIENTS)
    span = time.monotonic() - started
    driver.close()
    return driver.recorder.accepted.total() / span


def hedgerow(*args: str, data_dir: Path) -> tuple[float, subprocess.CompletedProcess[str]]:
    env = {**os.environ, "HEDGEROW_DATA_DIR": str(data_dir)}
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "hedgerow", *args, "--no-progress"],
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise RuntimeError(f"hedgerow {args[0]} failed: {done.stderr[-2000:]}")
    return time.monotonic() - started, done


async def backup_beside_capture(server: Server, dest: Path) -> tuple[float, float]:
    """(backup seconds, capture events/s while it ran)."""
    driver = Driver(server.port, Traffic(str(uuid.uuid4())), MIX)
    loop = asyncio.get_running_loop()
    started = time.monotonic()
    backup = loop.run_in_executor(
        None, functools.partial(hedgerow, "backup", str(dest), data_dir=server.data_dir)
    )
    capture = asyncio.create_task(driver.closed_loop(24 * 3600, CLIENTS))
    seconds, _ = await backup
    span = time.monotonic() - started
    capture.cancel()
    accepted = driver.recorder.accepted.total()
    driver.close()
    return seconds, accepted / span


def _open_once(data: Path) -> None:
    """Open the copy's stores once before the server does: an older dataset gets its
    migrations (the sessions backfill at 10M takes minutes), untimed."""
    code = (
        "import sys; from pathlib import Path; from hedgerow.app import build_components; "
        "from hedgerow.settings import Settings; "
        "build_components(Settings.load({'data_dir': Path(sys.argv[1])})).close()"
    )
    subprocess.run([sys.executable, "-c", code, str(data)], check=True, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--seconds", type=float, default=20, help="capture without a backup")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hedgerow-backup-bench-") as tmp:
        root = Path(tmp)
        data, dest, restored = root / "data", root / "backup", root / "restored"
        copy_started = time.monotonic()
        shutil.copytree(args.data_dir, data, symlinks=True)  # chDB links are relative
        copy_seconds = time.monotonic() - copy_started
        _open_once(data)
        with Server(data) as server:
            baseline = asyncio.run(capture_rate(server, args.seconds))
            backup_seconds, during = asyncio.run(backup_beside_capture(server, dest))
            server.wait_drained(600)
        manifest = json.loads((dest / "manifest.json").read_text())
        restore_seconds, _ = hedgerow("restore", str(dest), data_dir=restored)
    rows = manifest["tables"]["events"]["rows"]
    size = sum(f["size"] for f in manifest["files"].values())
    data_out = {
        "events": rows,
        "backup_bytes": size,
        "copy_seconds": round(copy_seconds, 1),
        "backup_seconds": round(backup_seconds, 1),
        "restore_seconds": round(restore_seconds, 1),
        "capture_events_per_s_without_backup": round(baseline),
        "capture_events_per_s_during_backup": round(during),
        "ratio_during_to_without": round(during / baseline, 2),
    }
    table = md_table(
        ["measure", "value"],
        [
            ["events in the backup", f"{rows:,}"],
            ["backup size", f"{size / 1024**2:,.0f} MiB"],
            ["plain copy of the data directory (cp, reference)", f"{copy_seconds:.1f} s"],
            ["hedgerow backup (while capture runs)", f"{backup_seconds:.1f} s"],
            ["hedgerow restore (checksums, attach, row check)", f"{restore_seconds:.1f} s"],
            ["capture without a backup", f"{baseline:,.0f} events/s"],
            ["capture while the backup runs", f"{during:,.0f} events/s"],
            ["ratio", f"{during / baseline:.2f}"],
        ],
    )
    report("backup", "Backup and restore", [table], data_out, args.out)


if __name__ == "__main__":
    main()
