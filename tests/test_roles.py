"""The loader role runs the nightly work and nothing more; the reader reads publish."""

from __future__ import annotations

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from helpers import assert_one_line_error, run_cli
from registry_files import row, write_csv


@pytest.fixture
def role_url(pg_server, db_url):
    """Factory: a login role in the given group, its URL on the test database."""
    made = []

    def make(group: str, inherit: bool = True) -> str:
        name = f"ic_{group.rsplit('_', 1)[-1]}_login"
        with pg_server.admin() as a:
            a.execute(f"DROP ROLE IF EXISTS {name}")
            a.execute(f"CREATE ROLE {name} LOGIN PASSWORD 'pw' "
                      f"{'' if inherit else 'NOINHERIT '}IN ROLE {group}")
        made.append(name)
        return pg_server.as_role(db_url, name, "pw")

    yield make
    with pg_server.admin() as a:
        for name in made:
            a.execute(f"DROP ROLE IF EXISTS {name}")


def test_loader_role_runs_the_pipeline_but_no_ddl(tmp_path, role_url, conn):
    url = role_url("industry_clusters_loader")
    path = write_csv(tmp_path / "r.csv", [row() for _ in range(35)])
    for args in (["db", "region", "--name", "Foshan city"],  # a setting of the registry
                 ["load", str(path), "--crs", "wgs84"], ["cluster"], ["refresh"],
                 ["stats", "--format", "json"], ["export", str(tmp_path / "o.gpkg")],
                 ["db", "status"], ["rejects"], ["rejects", str(tmp_path / "rejects.csv")],
                 # its prunes too (privileges are checked even where nothing is deleted)
                 ["nightly", str(path), "--crs", "wgs84", "--keep-runs", "1",
                  "--keep-rejects", "1", "--export-dir", str(tmp_path / "pub")]):
        r = run_cli(*args, url=url)
        assert r.exit_code == 0, (args, r.output)
    assert conn.execute("SELECT count(*) FROM publish.clusters").fetchone()[0] == 1
    assert conn.execute("SELECT region FROM registry.load_runs WHERE status = 'succeeded' "
                        "ORDER BY load_run_id LIMIT 1").fetchone()[0].startswith(
        "Foshan city (longitude")
    with psycopg.connect(url, autocommit=True) as c:
        for ddl in ("CREATE TABLE registry.x (i int)", "CREATE TABLE publish.x (i int)",
                    "CREATE TABLE public.x (i int)", "DROP TABLE registry.rejects",
                    "ALTER TABLE registry.enterprises ADD COLUMN x int",
                    "CREATE SCHEMA x"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                c.execute(ddl)


def test_a_session_acting_as_the_loader_by_set_role_runs_the_pipeline(tmp_path, role_url,
                                                                       conn):
    """A login role that takes the loader role by SET ROLE (a NOINHERIT membership, or
    PGOPTIONS='-c role=industry_clusters_loader', or an administrator trying it in
    psql): the session user is then not the role the job writes as. The tables a job
    makes for itself (the load's staging table, a run's members) must be writable by
    that role all the same."""
    url = make_conninfo(role_url("industry_clusters_loader", inherit=False),
                        options="-c role=industry_clusters_loader")
    path = write_csv(tmp_path / "r.csv", [row() for _ in range(35)])
    for args in (["load", str(path), "--crs", "wgs84"], ["cluster"], ["refresh"]):
        r = run_cli(*args, url=url)
        assert r.exit_code == 0, (args, r.output)
    r = run_cli("load", str(path), "--crs", "wgs84", url=url)  # its screening, compared
    assert r.exit_code == 0 and "already loaded" in r.output, r.output
    with psycopg.connect(url) as c:  # and psql's way: the whole run in one call
        assert c.execute("SELECT session_user <> current_user").fetchone()[0]
        notices = []
        c.add_notice_handler(lambda d: notices.append(d.message_primary))
        c.execute("SELECT clustering.run(400, 20)")
    # nothing skipped: the work table's statistics too (ANALYZE needs its owner; the
    # loader's runs skipped it with a WARNING and planned its joins for one row)
    assert notices == []
    assert conn.execute("SELECT count(*) FROM clustering.runs WHERE status = 'succeeded'"
                        ).fetchone()[0] == 2
    assert conn.execute("SELECT count(*) FROM publish.clusters").fetchone()[0] == 1


def test_reader_role_can_use_read_only_commands(tmp_path, role_url, db_url):
    path = write_csv(tmp_path / "r.csv", [row() for _ in range(35)])
    assert run_cli("load", str(path), "--crs", "wgs84", url=db_url).exit_code == 0
    assert run_cli("cluster", url=db_url).exit_code == 0
    assert run_cli("cluster", url=db_url).exit_code == 0  # a second run, for evolution
    with psycopg.connect(db_url) as c:
        first, run = (str(r[0]) for r in c.execute(
            "SELECT run_id FROM clustering.runs ORDER BY run_id"))
    url = role_url("industry_clusters_reader")
    for args in (["stats"], ["stats", "--run", run], ["runs"],
                 ["export", str(tmp_path / "r.gpkg")],
                 ["export", str(tmp_path / "run.gpkg"), "--run", run],
                 ["export", str(tmp_path / "r.png"), "--run", run], ["db", "status"],
                 ["report", "evolution", "--from", first, "--to", run]):
        r = run_cli(*args, url=url)
        assert r.exit_code == 0, (args, r.output)
    with psycopg.connect(url) as c:  # a layer of any run, through publish only
        assert c.execute("SELECT count(*) FROM publish.enterprises_of(%s)", (int(run),)
                         ).fetchone()[0] == 35
    for args in (["load", str(path), "--crs", "wgs84", "--force"], ["sensitivity"],
                 ["db", "region", "--name", "Somewhere"]):
        r = run_cli(*args, url=url)  # the loader's work, refused in one line saying why
        assert_one_line_error(r, "permission denied", "need a role granted "
                              "industry_clusters_loader")
