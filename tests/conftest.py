from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from clickhouse_server import ClickHouseServer
from nats_server import NatsServer

import server as server_module
from postgres_server import PostgresServer
from server import Server

if TYPE_CHECKING:
    from hedgerow.app_tables.connection import AppTables


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--configuration",
        choices=["embedded", "cluster"],
        default="embedded",
        help="What the tests' servers are: one `hedgerow serve` (embedded), or the split "
        "processes of tests/split_server.py on nats-server, PostgreSQL and ClickHouse "
        "(cluster: two capture, two ingest, one web behind a router).",
    )


def pytest_configure(config: pytest.Config) -> None:
    server_module.CONFIGURATION = config.getoption("configuration")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In cluster mode: tests marked `embedded_only` (they look inside one process's data
    directory) are skipped, and those marked `cluster_defect` (a known defect of the split
    processes, named in the marker) are expected to fail and not run, each with the
    marker's reason."""
    if config.getoption("configuration") != "cluster":
        return
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "sqlite" in callspec.params.values():  # app_backends
            item.add_marker(
                pytest.mark.skip(
                    reason="embedded only: the cluster keeps its app tables on PostgreSQL, "
                    "so this is the same run as the postgres one"
                )
            )
        for marker in item.iter_markers("embedded_only"):
            item.add_marker(pytest.mark.skip(reason=f"embedded only: {marker.args[0]}"))
        for marker in item.iter_markers("cluster_defect"):
            reason = f"defect of the split processes: {marker.args[0]}"
            item.add_marker(pytest.mark.xfail(run=False, reason=reason))


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Stop the servers the clusters of the run shared (if any cluster was made)."""
    clusters = sys.modules.get("split_server")
    if clusters is not None:
        clusters.stop_shared_servers()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One real server shared by the tests that only add events and read them back."""
    instance = Server(tmp_path_factory.mktemp("shared") / "data").start()
    yield instance
    instance.stop()


@pytest.fixture()
def fresh_server(tmp_path: Path) -> Iterator[Server]:
    """A server of the test's own, for tests that count everything or restart it."""
    instance = Server(tmp_path / "data").start()
    yield instance
    if instance.process is not None:
        instance.stop()


@pytest.fixture()
def nats_server(tmp_path: Path) -> Iterator[NatsServer]:
    """A nats-server with JetStream of the test's own (free port, temporary store)."""
    instance = NatsServer(tmp_path / "nats").start()
    yield instance
    instance.stop()


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresServer]:
    """One throwaway PostgreSQL cluster for the whole run (free port, temporary directory)."""
    instance = PostgresServer().start()
    yield instance
    instance.remove()


@pytest.fixture()
def postgres_url(postgres_cluster: PostgresServer) -> str:
    """The URL of an empty `hedgerow` database of the test's own (dropped and made again)."""
    postgres_cluster.reset()
    return postgres_cluster.url


@pytest.fixture(params=["sqlite", "postgres"])
def app_tables(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AppTables]:
    """Where the app's stores keep their tables: `meta.sqlite3` of the test's own, then an
    empty PostgreSQL database of the test's own (its migrations applied)."""
    if request.param == "sqlite":
        yield tmp_path / "meta.sqlite3"
        return
    from hedgerow.app_tables.postgres import PostgresAppTables

    tables = PostgresAppTables(request.getfixturevalue("postgres_url"), 2)
    yield tables
    tables.close()


@pytest.fixture(scope="session")
def clickhouse_server() -> Iterator[ClickHouseServer]:
    """One throwaway ClickHouse server for the whole run (free ports, temporary directory)."""
    instance = ClickHouseServer().start()
    yield instance
    instance.stop()


@pytest.fixture()
def clickhouse_url(clickhouse_server: ClickHouseServer) -> str:
    """The URL of the server with Hedgerow's database dropped: the test's store starts empty."""
    clickhouse_server.reset()
    return clickhouse_server.url
