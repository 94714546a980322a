"""Foundation: migrations, db init, connection errors, help texts."""

from __future__ import annotations

import random

import psycopg
import pytest
from points import blob, insert_points
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from helpers import assert_one_line_error, run_cli
from industry_clusters.cli import cli
from industry_clusters.cluster import run_clustering
from industry_clusters.db import migrate
from registry_files import row, write_csv

OUR_SCHEMAS = ("registry", "clustering", "publish")


def _schemas(url: str) -> set[str]:
    with psycopg.connect(url) as c:
        rows = c.execute("SELECT nspname FROM pg_namespace WHERE nspname = ANY(%s)",
                         (list(OUR_SCHEMAS),)).fetchall()
    return {r[0] for r in rows}


def test_migrations_up_down_up(empty_db_url):
    migrate.init(empty_db_url)
    assert _schemas(empty_db_url) == set(OUR_SCHEMAS)
    with psycopg.connect(empty_db_url) as c:
        c.execute("INSERT INTO registry.reason_codes VALUES ('x', 'y')")
    migrate.downgrade(empty_db_url, "base")
    assert _schemas(empty_db_url) == set()
    assert migrate.status(empty_db_url).revision is None
    migrate.upgrade(empty_db_url, "head")
    assert _schemas(empty_db_url) == set(OUR_SCHEMAS)
    st = migrate.status(empty_db_url)
    assert st.up_to_date and st.srid == 4547
    with psycopg.connect(empty_db_url) as c:  # the downgrade really dropped the data
        assert c.execute("SELECT count(*) FROM registry.reason_codes WHERE reason='x'"
                         ).fetchone()[0] == 0


def test_downgrade_to_base_asks_first(empty_db_url, monkeypatch):
    migrate.init(empty_db_url)
    # not on a terminal (cron, a script): refused in one line, nothing dropped
    r = run_cli("db", "downgrade", "base", url=empty_db_url)
    assert_one_line_error(r, "drops the registry", "--yes")
    assert _schemas(empty_db_url) == set(OUR_SCHEMAS)
    # on a terminal: asked, and "no" keeps everything
    monkeypatch.setattr("industry_clusters.cli.stdin_is_terminal", lambda: True)
    r = run_cli("db", "downgrade", "base", url=empty_db_url, input="n\n")
    assert r.exit_code == 1 and "Go on?" in r.output and "Aborted" in r.output, r.output
    assert _schemas(empty_db_url) == set(OUR_SCHEMAS)
    r = run_cli("db", "downgrade", "-1", url=empty_db_url)  # one step: not asked
    assert r.exit_code == 0, r.output
    r = run_cli("db", "downgrade", "base", "--yes", url=empty_db_url)
    assert r.exit_code == 0, r.output
    assert _schemas(empty_db_url) == set()


def test_db_init_twice_is_harmless(db_url):
    for _ in range(2):
        r = run_cli("db", "init", url=db_url)
        assert r.exit_code == 0, r.output
        assert "SRID 4547" in r.output
    with psycopg.connect(db_url) as c:
        assert c.execute("SELECT count(*) FROM registry.settings").fetchone()[0] == 1
        assert c.execute("SELECT count(*) FROM registry.sectors").fetchone()[0] == 2


def test_every_table_and_column_is_commented(db_url):
    with psycopg.connect(db_url) as c:  # a run, for its partition of clustering.members
        insert_points(c, blob(random.Random(1), 40, 0, 0, 150))
    run_clustering(db_url)
    with psycopg.connect(db_url) as c:
        missing = c.execute("""
            SELECT n.nspname || '.' || cl.relname || coalesce('.' || a.attname, '')
            FROM pg_class cl JOIN pg_namespace n ON n.oid = cl.relnamespace
            LEFT JOIN pg_attribute a ON a.attrelid = cl.oid AND a.attnum > 0
                 AND NOT a.attisdropped
            WHERE n.nspname = ANY(%s) AND cl.relkind IN ('r', 'v', 'm', 'p')
              AND col_description(cl.oid, coalesce(a.attnum, 0)) IS NULL
              AND (a.attnum IS NOT NULL OR obj_description(cl.oid, 'pg_class') IS NULL)
            ORDER BY 1""", (list(OUR_SCHEMAS),)).fetchall()
    assert missing == []


def test_geographic_srid_is_refused(empty_db_url):
    r = run_cli("db", "init", "--srid", "4326", url=empty_db_url)
    assert_one_line_error(r, "SRID 4326 is geographic", "metres")
    r = run_cli("db", "init", "--srid", "999999", url=empty_db_url)
    assert_one_line_error(r, "SRID 999999 is not in spatial_ref_sys")
    # metres, but not on the ground: Web Mercator's are 9% long at Foshan's latitude
    r = run_cli("db", "init", "--srid", "3857", url=empty_db_url)
    assert_one_line_error(r, "SRID 3857 is a Mercator projection", "true only along the equator")
    assert _schemas(empty_db_url) == set()


def test_srid_cannot_change_after_init(db_url):
    r = run_cli("db", "init", "--srid", "32649", url=db_url)
    assert_one_line_error(r, "already uses SRID 4547")


def test_other_projected_srid(empty_db_url):
    r = run_cli("db", "init", "--srid", "32649", url=empty_db_url)  # UTM 49N
    assert r.exit_code == 0, r.output
    with psycopg.connect(empty_db_url) as c:
        typ = c.execute("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE "
                        "attrelid = 'registry.enterprises'::regclass AND attname='geom_proj'"
                        ).fetchone()[0]
    assert typ == "geometry(Point,32649)"


def test_status_reports_database_postgis_revision(db_url):
    r = run_cli("db", "status", url=db_url)
    assert r.exit_code == 0, r.output
    assert "postgis:        3." in r.output
    assert f"schema:         {migrate.head_revision()} (up to date)" in r.output
    assert conninfo_to_dict(db_url)["dbname"] in r.output


def test_unreachable_database_is_one_line(tmp_path):
    r = run_cli("db", "status", url="postgresql://someone:s3cret@127.0.0.1:1/nothing")
    line = assert_one_line_error(r, "cannot connect to someone@127.0.0.1:1/nothing")
    assert "s3cret" not in line
    # libpq's message for a malformed string ends in a newline: still one line, no blank
    # line after it
    r = run_cli("db", "status", url="notaurl")
    assert_one_line_error(r, "invalid connection string", 'missing "=" after "notaurl"')
    assert r.output.count("\n") == 1, repr(r.output)


def test_wrong_password_is_one_line_and_hides_it(pg_server, db_url):
    if pg_server.tcp is None:
        pytest.skip("the test server has no TCP endpoint with password authentication")
    host, port = pg_server.tcp
    with pg_server.admin() as c:
        c.execute("DROP ROLE IF EXISTS ic_pw_test")
        c.execute("CREATE ROLE ic_pw_test LOGIN PASSWORD 'right-one'")
    try:
        dbname = conninfo_to_dict(db_url)["dbname"]
        bad = f"postgresql://ic_pw_test:Wr0ng-pa55@{host}:{port}/{dbname}"
        line = assert_one_line_error(run_cli("db", "status", url=bad),
                                     "password authentication failed")
        assert "Wr0ng-pa55" not in line
        good = f"postgresql://ic_pw_test:right-one@{host}:{port}/{dbname}"
        ok = run_cli("db", "status", url=good)
        assert ok.exit_code == 0, ok.output
    finally:
        with pg_server.admin() as c:
            c.execute("DROP ROLE IF EXISTS ic_pw_test")


def test_db_init_creates_a_missing_database(pg_server):
    name = f"ic_created_{random.randrange(10**9)}"
    url = pg_server.url(name)
    with pg_server.admin() as c:
        c.execute("DROP ROLE IF EXISTS ic_nocreate")
        c.execute("CREATE ROLE ic_nocreate LOGIN PASSWORD 'x'")
    try:
        # A role without CREATEDB is told what a superuser must run; nothing is created.
        other = pg_server.as_role(url, "ic_nocreate", "x")
        assert_one_line_error(run_cli("db", "init", url=other), f"database {name} does not exist",
                              "may not create it", f'CREATE DATABASE "{name}" OWNER "ic_nocreate"')
        with pg_server.admin() as c:
            assert not c.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        # Other commands say that db init creates it.
        assert_one_line_error(run_cli("db", "status", url=url), "does not exist",
                              "'industry-clusters db init' creates it")
        # One that may creates it, then PostGIS and the schema in it.
        res = run_cli("db", "init", url=url)
        assert res.exit_code == 0, res.output
        assert f"created database {name}" in res.output
        assert _schemas(url) == set(OUR_SCHEMAS)
        again = run_cli("db", "init", url=url)
        assert again.exit_code == 0 and "created database" not in again.output
        from industry_clusters.db import create_database

        with pg_server.admin() as c:  # as db start does for its database: no error
            assert create_database(c, name) is False
    finally:
        pg_server.drop_database(name)
        with pg_server.admin() as c:
            c.execute("DROP ROLE IF EXISTS ic_nocreate")


def test_missing_postgis_is_one_line(pg_server, empty_db_url):
    assert_one_line_error(run_cli("db", "upgrade", url=empty_db_url),
                          "PostGIS is not enabled", "db init")
    # A role that may not create extensions gets told whom to ask.
    dbname = conninfo_to_dict(empty_db_url)["dbname"]
    with pg_server.admin() as c:
        c.execute("DROP ROLE IF EXISTS ic_nopriv")
        c.execute("CREATE ROLE ic_nopriv LOGIN PASSWORD 'x'")
        c.execute(sql.SQL("GRANT CREATE ON DATABASE {} TO ic_nopriv").format(
            sql.Identifier(dbname)))
    try:
        with psycopg.connect(empty_db_url) as c:
            c.execute("GRANT ALL ON SCHEMA public TO ic_nopriv")
        url = pg_server.as_role(empty_db_url, "ic_nopriv", "x")
        assert_one_line_error(run_cli("db", "init", url=url),
                              "not allowed to create the PostGIS extension",
                              "CREATE EXTENSION postgis")
    finally:
        with pg_server.admin() as c:
            c.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(dbname)))
            c.execute("DROP OWNED BY ic_nopriv")
            c.execute("DROP ROLE IF EXISTS ic_nopriv")


def test_commands_refuse_an_uninitialised_database(empty_db_url):
    with psycopg.connect(empty_db_url, autocommit=True) as c:
        c.execute("CREATE EXTENSION postgis")
    from industry_clusters.db import connect
    from industry_clusters.errors import UserError

    with connect(empty_db_url) as c, pytest.raises(UserError, match="not initialised"):
        migrate.require_schema(c)


def _all_commands(group, prefix=()):
    for name, cmd in group.commands.items():
        yield (*prefix, name), cmd
        if hasattr(cmd, "commands"):
            yield from _all_commands(cmd, (*prefix, name))


def test_every_command_has_help():
    names = []
    for path, cmd in _all_commands(cli):
        assert (cmd.help or "").strip(), f"{' '.join(path)} has no help text"
        r = run_cli(*path, "--help")
        assert r.exit_code == 0 and "Usage:" in r.output, path
        names.append(" ".join(path))
    assert "db init" in names and len(names) >= 7


def test_python_dash_m_runs():
    import subprocess
    import sys

    p = subprocess.run([sys.executable, "-m", "industry_clusters", "--help"],
                       capture_output=True, text=True)
    assert p.returncode == 0 and "industry-clusters" in p.stdout


def test_head_revision_agrees_with_alembic():
    """The CLI reads the revisions from the files (to spare alembic's imports);
    alembic's own graph must say the same."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migrate._config())
    assert migrate.head_revision() == script.get_current_head()
    assert migrate.revisions() == tuple(s.revision for s in reversed(list(script.walk_revisions())))


def test_a_database_newer_than_the_code_says_so(db_url):
    """An older industry-clusters installed again (a rolled-back deployment), or an
    analyst's older client, meets a schema at a revision it does not know. It said "run
    'industry-clusters db init' (or db upgrade)", and those then failed with alembic's
    "Can't locate revision" and a list of all 82 revisions."""
    with psycopg.connect(db_url) as c:
        c.execute("UPDATE alembic_version SET version_num = '9999'")
    for command in (["stats"], ["cluster"], ["db", "upgrade"], ["db", "init"],
                    ["db", "downgrade", "-1"]):
        r = run_cli(*command, url=db_url)
        assert_one_line_error(r, "revision 9999, which this industry-clusters (schema "
                              f"{migrate.head_revision()}) does not know", "newer version")
        assert "db init" not in r.output and "0001" not in r.output, r.output
    r = run_cli("db", "status", url=db_url)
    assert f"schema:         9999 (newer than this code's {migrate.head_revision()}" in r.output
    assert_one_line_error(run_cli("db", "upgrade", "9998", url=db_url), "newer version")
    with psycopg.connect(db_url) as c:
        assert c.execute("SELECT version_num FROM alembic_version").fetchone()[0] == "9999"


def test_a_step_back_says_what_it_leaves(db_url):
    """A revision that re-runs the sql/ files has nothing of its own to undo: a step
    back records the older revision and says that the objects stay; db upgrade then
    brings the record back to the head."""
    r = run_cli("db", "downgrade", "-1", url=db_url)
    assert r.exit_code == 0, r.output
    before = migrate.revisions()[-2]
    assert r.output == (f"schema recorded at {before}; the tables, functions and views are "
                        "left as this version made them, except what the revisions undone "
                        "drop (db downgrade --help)\n")
    r = run_cli("db", "upgrade", url=db_url)
    assert r.exit_code == 0 and migrate.status(db_url).up_to_date, r.output
    r = run_cli("db", "downgrade", "nonsense", url=db_url)
    assert_one_line_error(r, "revisions run from 0001 to", "-N (N steps back)")


def test_a_database_not_in_utf8_is_refused_in_one_line(pg_server, tmp_path):
    """Registry exports are Chinese text. In a SQL_ASCII database PostgreSQL reads the
    screening's patterns byte by byte (a full-width form, a Chinese numeral), and db init
    went ahead. It is refused, before PostGIS or the schema is made, and so is every
    command on such a database."""
    name = f"ic_test_ascii_{random.randrange(10**9)}"
    with pg_server.admin() as a:
        a.execute(sql.SQL("CREATE DATABASE {} ENCODING 'SQL_ASCII' LC_COLLATE 'C' "
                          "LC_CTYPE 'C' TEMPLATE template0").format(sql.Identifier(name)))
    try:
        url = pg_server.url(name)
        registry = write_csv(tmp_path / "r.csv", [row()])
        for args in (["db", "init"], ["load", str(registry), "--crs", "wgs84"], ["stats"]):
            assert_one_line_error(run_cli(*args, url=url), f"database {name} is encoded "
                                  "SQL_ASCII", "ENCODING 'UTF8'")
        with psycopg.connect(url) as c:
            assert c.execute("SELECT count(*) FROM pg_extension WHERE extname = 'postgis'"
                             ).fetchone()[0] == 0
    finally:
        pg_server.drop_database(name)
