"""The capture surface: every path and method, CORS, and posthog-js's config handshake."""

from __future__ import annotations

import json
import re

import httpx
import pytest

from readback import unique, wait_for_events
from server import TOKEN, Server

PATHS = ["/e", "/i/v0/e", "/capture", "/track", "/engage", "/batch"]
ORIGIN = "https://shop.example.com"


@pytest.mark.parametrize("path", [p + slash for p in PATHS for slash in ("", "/")])
def test_every_path_takes_post_get_and_options(server: Server, path: str) -> None:
    name = unique(f"path {path}")
    event = {"event": name, "distinct_id": "protocol-user", "token": TOKEN}
    posted = httpx.post(server.url + path, json=event, headers={"Origin": ORIGIN})
    assert posted.status_code == 200
    assert posted.json() == {"status": 1}
    assert posted.headers["access-control-allow-origin"] == ORIGIN
    assert posted.headers["access-control-allow-credentials"] == "true"

    fetched = httpx.get(server.url + path, params={"data": json.dumps({**event, "n": 2})})
    assert fetched.status_code == 200

    preflight = httpx.options(
        server.url + path,
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, x-custom",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == ORIGIN
    assert preflight.headers["access-control-allow-headers"] == "content-type, x-custom"
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert len(wait_for_events(server, name, 2)) == 2


def test_errors_carry_cors_headers_so_browsers_can_read_them(server: Server) -> None:
    response = httpx.post(server.url + "/e/", content=b"{bad", headers={"Origin": ORIGIN})
    assert response.status_code == 400
    assert response.headers["access-control-allow-origin"] == ORIGIN


def test_beacon_requests_get_200(server: Server) -> None:
    name = unique("beacon")
    response = httpx.post(
        server.url + "/e/?beacon=1",
        json={"event": name, "distinct_id": "b", "token": TOKEN},
    )
    assert response.status_code == 200  # posthog-js retries a 204
    wait_for_events(server, name, 1)


def test_remote_config_turns_autocapture_on(server: Server) -> None:
    config = httpx.get(f"{server.url}/array/{TOKEN}/config", headers={"Origin": ORIGIN})
    assert config.status_code == 200
    body = config.json()
    assert body["autocapture_opt_out"] is False
    assert body["supportedCompression"] == ["gzip", "gzip-js"]
    assert body["hasFeatureFlags"] is False
    assert body["sessionRecording"] is False
    assert config.headers["access-control-allow-origin"] == ORIGIN

    script = httpx.get(f"{server.url}/array/{TOKEN}/config.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("application/javascript")
    match = re.search(r"window\._POSTHOG_REMOTE_CONFIG\[(\"[^\"]+\")\]=(\{.*\});", script.text)
    assert match is not None
    assert json.loads(match.group(1)) == TOKEN
    assert json.loads(match.group(2)) == {"config": body, "siteApps": []}


@pytest.mark.parametrize(
    ("path", "with_config"),
    [
        ("/flags/?v=2", False),
        ("/flags/?v=2&config=true", True),
        ("/decide/?v=3", True),
        ("/flags", False),
    ],
)
def test_flags_and_decide_answer_no_flags(server: Server, path: str, with_config: bool) -> None:
    response = httpx.post(
        server.url + path,
        content=b"data=eyJ0b2tlbiI6IngifQ%3D%3D",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["flags"] == {} and body["featureFlags"] == {}
    assert body["errorsWhileComputingFlags"] is False
    assert ("autocapture_opt_out" in body) is with_config
