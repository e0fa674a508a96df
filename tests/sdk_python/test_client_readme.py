"""The `Order created` examples in the READMEs run as written and store what they say."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from readback import wait_for_events
from server import TOKEN, Server

ROOT = Path(__file__).resolve().parents[2]
READMES = [ROOT / "README.md", ROOT / "sdk" / "python" / "README.md"]


def order_example(readme: Path) -> str:
    blocks = re.findall(r"```python\n(.*?)```", readme.read_text(), re.DOTALL)
    [block] = [b for b in blocks if "hedgerow_client import Client" in b and "Order created" in b]
    return block


@pytest.mark.parametrize("readme", READMES, ids=lambda path: str(path.relative_to(ROOT)))
def test_order_created_example(server: Server, readme: Path) -> None:
    code = order_example(readme)
    before = {row["uuid"] for row in server.events(event="Order created")}
    code = code.replace('"phc_..."', repr(TOKEN)).replace("http://127.0.0.1:8000", server.url)
    exec(compile(code, str(readme), "exec"), {})

    rows = wait_for_events(server, "Order created", len(before) + 1)
    [stored] = [row for row in rows if row["uuid"] not in before]
    assert stored["distinct_id"] == "user_123"
    properties = stored["properties"]
    assert properties["source"] == "backend"
    assert properties["orderId"] == "ord_8Hd2k"
    assert properties["subtotal"] == 129.95
    assert properties["customerName"] == "Ada Lovelace"
