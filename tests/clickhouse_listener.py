"""Serve a data directory over ClickHouse's HTTP and native protocols with chDB's engine.

    python clickhouse_listener.py ROOT HTTP_PORT TCP_PORT

chDB's one-shot query function runs ClickHouse's local mode (`clickhouse-local`), which from
ClickHouse 26.x on starts the server's own listeners on `SYSTEM START LISTEN`; they live as
long as that local server, that is while its statements run. So a thread runs the listeners'
start and then a statement that holds them open (one row a second for ever); SIGTERM or
SIGINT cancels that statement with `KILL QUERY` over HTTP, and the local server shuts down.
Where to listen comes from `config.xml` in the working directory (read by local mode):
127.0.0.1 only, since local mode's one user, `default`, has no password. Data lives in
ROOT/data.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import urllib.request
from pathlib import Path

HOLD = "hedgerow_listener_hold"
CONFIG = """<clickhouse>
    <listen_host>127.0.0.1</listen_host>
    <http_port>{http}</http_port>
    <tcp_port>{tcp}</tcp_port>
</clickhouse>
"""


def main() -> None:
    root, http_port, tcp_port = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    root.mkdir(parents=True, exist_ok=True)
    (root / "config.xml").write_text(CONFIG.format(http=http_port, tcp=tcp_port))
    os.chdir(root)
    from chdb import _chdb  # type: ignore[attr-defined]

    stop = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop)  # chDB's threads inherit the mask
    outcome: list[str] = []

    def serve() -> None:
        result = _chdb.query(
            "SYSTEM START LISTEN HTTP; SYSTEM START LISTEN TCP; "
            f"SELECT sleepEachRow(1) AS {HOLD} FROM numbers(1000000000000) "
            "SETTINGS max_block_size = 1 FORMAT Null",
            "TabSeparated",  # also the HTTP interface's default format, as a server's
            path=str(root / "data"),
        )
        outcome.append(str(getattr(result, "error_message", lambda: "")()))

    server = threading.Thread(target=serve, name="clickhouse-local")
    server.start()
    received = signal.sigwait(stop)
    if server.is_alive():
        kill = f"KILL QUERY WHERE query LIKE '%{HOLD} FROM%' AND query NOT LIKE '%KILL%' SYNC"
        request = urllib.request.Request(
            f"http://127.0.0.1:{http_port}/", data=kill.encode(), method="POST"
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
    server.join(timeout=60)
    print(f"stopped on {signal.Signals(received).name}: {outcome}", flush=True)


if __name__ == "__main__":
    main()
