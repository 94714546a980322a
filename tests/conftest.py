"""A real PostGIS for the tests, found in a predictable order.

1. ``--database-url`` or ``INDUSTRY_CLUSTERS_TEST_DATABASE_URL`` (a role that may
   CREATE DATABASE);
2. a testcontainers ``postgis/postgis`` container when a Docker engine answers;
3. a throwaway local cluster (initdb + pg_ctl in a temporary directory).

With ``CI=true`` a missing database fails the run; elsewhere it skips with the reason.
Each test that takes ``db_url`` gets a fresh database cloned from a migrated template,
dropped afterwards: no test leaves a trace.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

SHARED = Path(__file__).resolve().parents[2] / "shared"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
# per session, as the test databases are: two sessions on one server (a full run and a
# -k run beside it) dropped each other's template
TEMPLATE = f"ic_test_template_{os.getpid()}"


def pytest_addoption(parser):
    parser.addoption("--database-url", default=None,
                     help="PostgreSQL URL of a role that may create databases (tests use "
                          "throwaway databases next to it)")
    parser.addoption("--update-contract", action="store_true",
                     help="write the current publish schema to tests/publish_contract.txt "
                          "(after a deliberate change; review its diff)")


@dataclass
class Server:
    admin_url: str
    origin: str
    tcp: tuple[str, int] | None = None  # host, port reachable with password auth
    restart: Callable[[], None] | None = None  # only for a server the tests own
    _counter: itertools.count = field(default_factory=lambda: itertools.count(1))
    cleanup: list = field(default_factory=list)

    def url(self, dbname: str) -> str:
        return make_conninfo(self.admin_url, dbname=dbname)

    def admin(self) -> psycopg.Connection:
        return psycopg.connect(self.admin_url, autocommit=True)

    def as_role(self, url: str, user: str, password: str) -> str:
        """``url`` logged in as ``user`` with ``password``: over TCP when the server has
        a password-authenticated endpoint (a socket may trust any role)."""
        url = make_conninfo(url, user=user, password=password)
        if self.tcp:
            url = make_conninfo(url, host=self.tcp[0], port=str(self.tcp[1]))
        return url

    def create_database(self, template: str | None = None) -> str:
        name = f"ic_test_{os.getpid()}_{next(self._counter)}"
        with self.admin() as conn:
            q = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
            if template:
                q += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
            conn.execute(q)
        return name

    def drop_database(self, name: str) -> None:
        with self.admin() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                         .format(sql.Identifier(name)))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _docker_engine() -> bool:
    try:
        import docker

        docker.from_env(timeout=3).ping()
        return True
    except Exception:
        return False


def _from_url(url: str) -> Server:
    d = conninfo_to_dict(url)
    host = d.get("host") or ""
    tcp = None if (not host or host.startswith("/")) else (host, int(d.get("port") or 5432))
    return Server(url, "given URL", tcp)


def _from_container() -> Server:
    from testcontainers.postgres import PostgresContainer

    pg = PostgresContainer("postgis/postgis:16-3.4", driver=None)
    pg.start()
    srv = _from_url(pg.get_connection_url())
    srv.origin = "testcontainers"
    srv.cleanup.append(pg.stop)
    return srv


def _from_local_cluster() -> Server:
    from industry_clusters.db.localdb import LocalCluster

    base = Path(tempfile.mkdtemp(prefix="ic-test-pg-"))
    os.chmod(base, 0o755)  # the postgres user must reach the data directory
    port = _free_port()
    cluster = LocalCluster(base / "data", tcp_port=port, settings={
        "fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"})
    try:
        cluster.start()
    except Exception:
        cluster.stop()
        shutil.rmtree(base, ignore_errors=True)
        raise
    srv = Server(cluster.url("postgres"), "throwaway local cluster", ("127.0.0.1", port))

    def restart():
        cluster.stop()
        cluster.start()

    srv.restart = restart

    def stop():
        cluster.stop()
        shutil.rmtree(base, ignore_errors=True)

    srv.cleanup.append(stop)
    return srv


@pytest.fixture(scope="session")
def pg_server(request) -> Server:
    url = request.config.getoption("--database-url") or os.environ.get(
        "INDUSTRY_CLUSTERS_TEST_DATABASE_URL")
    errors = []
    srv = None
    if url:
        srv = _from_url(url)
    elif _docker_engine():
        try:
            srv = _from_container()
        except Exception as exc:  # image pull failure etc.: fall back to a local cluster
            errors.append(f"testcontainers: {exc}")
    else:
        errors.append("no Docker engine answers")
    if srv is None:
        try:
            srv = _from_local_cluster()
        except Exception as exc:
            errors.append(f"local cluster: {exc}")
    if srv is None:
        msg = "no PostGIS for the tests: " + "; ".join(errors)
        if IN_CI:
            pytest.fail(msg + " (CI=true: a missing database is a failure)", pytrace=False)
        pytest.skip(msg)
    try:
        with srv.admin() as conn:
            avail = conn.execute(
                "SELECT 1 FROM pg_available_extensions WHERE name='postgis'").fetchone()
        if not avail:
            msg = f"the {srv.origin} server has no PostGIS extension available"
            if IN_CI:
                pytest.fail(msg, pytrace=False)
            pytest.skip(msg)
        yield srv
    finally:
        for fn in reversed(srv.cleanup):
            fn()


@pytest.fixture(scope="session")
def template_db(pg_server: Server) -> str:
    """A database migrated to head, cloned by each test's ``db_url``."""
    from industry_clusters.db import migrate

    pg_server.drop_database(TEMPLATE)
    with pg_server.admin() as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(TEMPLATE)))
    migrate.init(pg_server.url(TEMPLATE))
    yield TEMPLATE
    pg_server.drop_database(TEMPLATE)


@pytest.fixture
def db_url(pg_server: Server, template_db: str) -> str:
    """URL of a fresh, migrated database that is dropped after the test."""
    name = pg_server.create_database(template_db)
    yield pg_server.url(name)
    pg_server.drop_database(name)


@pytest.fixture
def empty_db_url(pg_server: Server) -> str:
    """URL of a fresh database with nothing in it (no PostGIS, no schema)."""
    name = pg_server.create_database("template0")
    yield pg_server.url(name)
    pg_server.drop_database(name)


@pytest.fixture
def conn(db_url: str):
    with psycopg.connect(db_url) as c:
        yield c


@pytest.fixture
def shared_data() -> Path:
    path = SHARED / "data" / "foshan_districts.geojson"
    if not path.exists():
        pytest.skip(f"{path} is absent (the shared district boundaries are not redistributed)")
    return path
