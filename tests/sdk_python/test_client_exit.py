"""Nothing captured is left behind: `shutdown()`, the context manager, and interpreter exit.

The exit tests run a real Python process that captures and then ends without calling
`shutdown()` (by falling off the end, by `sys.exit(3)`, by an uncaught exception, and after
dropping its only reference to the client); its events are read back from the real server.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from hedgerow_client import Client

from readback import unique, wait_for_events
from server import TOKEN, Server

SCRIPT = textwrap.dedent(
    """
    import sys
    from hedgerow_client import Client

    token, host, event, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    # Nothing would leave before an hour, or before 100,000 events: only exit can send them.
    client = Client(token, host=host, flush_at=100_000, flush_interval=3600)
    for index in range(count):
        print(client.capture(event, distinct_id="exit-user", properties={"index": index}))
    sys.stdout.flush()
    """
)

ENDINGS = {
    "end_of_script": ("", 0),
    "sys_exit": ("sys.exit(3)", 3),
    "uncaught_exception": ("raise RuntimeError('the script failed')", 1),
    "client_dropped": ("del client\nimport gc; gc.collect()", 0),
}


@pytest.mark.parametrize("ending", list(ENDINGS))
def test_interpreter_exit_flushes_everything(server: Server, ending: str) -> None:
    code, expected_status = ENDINGS[ending]
    event = unique(f"sdk exit {ending}")
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT + code + "\n", TOKEN, server.url, event, "300"],
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == expected_status, result.stderr
    sent = result.stdout.split()
    assert len(sent) == 300
    rows = wait_for_events(server, event, 300)
    assert sorted(row["uuid"] for row in rows) == sorted(sent)
    assert sorted(row["properties"]["index"] for row in rows) == list(range(300))


def test_shutdown_sends_everything_queued(server: Server) -> None:
    event = unique("sdk shutdown")
    client = Client(TOKEN, host=server.url, flush_at=100_000, flush_interval=3600)
    sent = [client.capture(event, distinct_id="u1", properties={"i": i}) for i in range(500)]
    assert client.pending == 500

    assert client.shutdown() is True

    stats = client.stats
    assert (stats.captured, stats.sent, stats.failed, stats.dropped) == (500, 500, 0, 0)
    assert client.pending == 0
    rows = wait_for_events(server, event, 500)
    assert sorted(row["uuid"] for row in rows) == sorted(sent)


def test_leaving_the_with_block_sends_everything(server: Server) -> None:
    event = unique("sdk with block")
    with Client(TOKEN, host=server.url, flush_at=100_000, flush_interval=3600) as client:
        sent = [client.capture(event, distinct_id="u1") for _ in range(50)]
    assert client.stats.sent == 50
    assert sorted(row["uuid"] for row in wait_for_events(server, event, 50)) == sorted(sent)
