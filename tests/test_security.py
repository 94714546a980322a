"""Security: injection through every identifier a user passes, and passwords that never
reach output, errors or the run tables."""

from __future__ import annotations

import json

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from helpers import assert_no_traceback, run_cli
from industry_clusters.demo.synth import HEADERS
from registry_files import row, write_csv

INJECT = "x\"; DROP TABLE registry.enterprises; --'); DROP TABLE publish.clusters; --"


def _catalogue(url: str) -> list:
    """Every relation and function of ours, to show nothing was created or dropped."""
    with psycopg.connect(url) as c:
        return c.execute(
            "SELECT n.nspname, c.relname, c.relkind FROM pg_class c JOIN pg_namespace n "
            "ON n.oid = c.relnamespace WHERE n.nspname IN ('registry', 'clustering', 'publish', "
            "'public') UNION ALL SELECT n.nspname, p.proname, 'f' FROM pg_proc p JOIN "
            "pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname IN ('registry', "
            "'clustering', 'publish') ORDER BY 1, 2, 3").fetchall()


def test_injection_through_every_identifier(tmp_path, db_url, conn):
    # a header that is itself an attack, mapped to the name field; and values with SQL
    headers = [INJECT if h == "企业名称" else h for h in HEADERS]
    rows = [{**row(), INJECT: INJECT} for _ in range(35)]
    path = write_csv(tmp_path / "r.csv", rows, headers=headers)
    r = run_cli("load", str(path), "--crs", "wgs84", "--map", f"name={INJECT}", url=db_url)
    assert r.exit_code == 0, r.output
    assert conn.execute("SELECT count(*) FROM registry.enterprises WHERE name = %s",
                        (INJECT,)).fetchone()[0] == 35  # taken as a value, literally
    assert run_cli("cluster", url=db_url).exit_code == 0
    before = _catalogue(db_url)

    districts = tmp_path / "d.geojson"
    districts.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {INJECT: "禅城区", "code": "440604"},
        "geometry": {"type": "Polygon", "coordinates": [[[113.0, 22.9], [113.3, 22.9],
                                                         [113.3, 23.2], [113.0, 22.9]]]}}]}),
        encoding="utf-8")
    out = tmp_path / "o.gpkg"
    attempts = [
        ["load", str(path), "--crs", "wgs84", "--force", "--map", f"{INJECT}=企业名称"],
        ["load", str(path), "--crs", "wgs84", "--force", "--map", f"credit_code={INJECT}"],
        ["load", str(path), "--crs", INJECT],
        ["load", str(path), "--crs", "wgs84", "--format", INJECT],
        ["load-districts", str(districts), "--crs", "wgs84", "--name-field", INJECT,
         "--code-field", "code"],
        ["load-districts", str(districts), "--crs", "wgs84", "--layer", INJECT],
        ["load-districts", str(districts), "--crs", "wgs84", "--code-field", INJECT],
        ["cluster", "--sectors", INJECT],
        ["cluster", "--sectors", f"comms,{INJECT}"],
        ["cluster", "--as-of", INJECT],
        ["cluster", "--tiers", INJECT],
        ["export", str(out), "--layers", INJECT],
        ["export", str(out), "--layers", f"clusters,{INJECT}"],
        ["export", str(out), "--crs", INJECT],
        ["export", str(out), "--run", INJECT],
        ["export", str(tmp_path / f"{INJECT}.gpkg")],
        ["stats", "--view", INJECT],
        ["stats", "--run", INJECT],
        ["db", "init", "--srid", INJECT],
        ["db", "upgrade", INJECT],
        ["runs", "--limit", INJECT],
    ]
    for args in attempts:
        r = run_cli(*args, url=db_url)
        assert_no_traceback(r, (0, 1, 2))  # 2: click refused the option's type
    # the district file with the attack as its name attribute loaded it as a value
    assert conn.execute("SELECT name FROM registry.districts").fetchone() == ("禅城区",)
    after = _catalogue(db_url)
    assert after == before
    assert conn.execute("SELECT count(*) FROM registry.enterprises").fetchone()[0] == 35
    assert conn.execute("SELECT count(*) FROM publish.clusters").fetchone()[0] == 1
    # the database name is an identifier too
    r = run_cli("db", "status", url=make_conninfo(db_url, dbname=INJECT))
    assert_no_traceback(r, (0, 1, 2))  # 2: click refused the option's type
    assert r.exit_code == 1


PASSWORD = "Sup3r-Secret_pw"


@pytest.fixture
def password_url(pg_server, db_url):
    """A loader login with a password, over TCP, as a URL with the password in it."""
    if not pg_server.tcp:
        pytest.skip("the test server is reached over a socket without passwords")
    with pg_server.admin() as a:
        a.execute("DROP ROLE IF EXISTS ic_pw_login")
        a.execute(sql.SQL("CREATE ROLE ic_pw_login LOGIN PASSWORD {} IN ROLE "
                          "industry_clusters_loader").format(sql.Literal(PASSWORD)))
    dbname = psycopg.conninfo.conninfo_to_dict(db_url)["dbname"]
    host, port = pg_server.tcp
    yield f"postgresql://ic_pw_login:{PASSWORD}@{host}:{port}/{dbname}"
    with pg_server.admin() as a:
        a.execute("DROP ROLE IF EXISTS ic_pw_login")


def test_passwords_never_reach_output_errors_or_run_tables(tmp_path, password_url, db_url,
                                                           monkeypatch):
    good = write_csv(tmp_path / "r.csv", [row() for _ in range(35)])
    short = write_csv(tmp_path / "short.csv", [row()])  # a full refresh it refuses
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"")
    wrong_pw = password_url.replace(PASSWORD, PASSWORD + "x")
    no_server = password_url.rsplit(":", 1)[0] + ":1/x"
    timeout = password_url + "?options=-c%20statement_timeout%3D500"
    outputs = []
    for url, args, locked in [
        (password_url, ["load", str(good), "--crs", "wgs84"], False),
        (password_url, ["load", str(bad), "--crs", "wgs84"], False),
        (password_url, ["load", str(short), "--crs", "wgs84"], False),
        (password_url, ["cluster"], False),
        (password_url, ["cluster", "--eps", "-1"], False),
        (password_url, ["nightly", str(good), "--crs", "wgs84", "--export-dir", str(tmp_path)],
         False),
        (timeout, ["cluster", "--eps", "300"], True),  # times out waiting for the lock
        (wrong_pw, ["db", "status"], False),
        (no_server, ["load", str(good), "--crs", "wgs84"], False),
        (password_url.replace("@", "@[::1", 1), ["db", "status"], False),  # unparseable
    ]:
        for via_env in (False, True):  # --database-url, then DATABASE_URL
            if via_env:
                monkeypatch.setenv("DATABASE_URL", url)
            with psycopg.connect(db_url) as holder:
                if locked:
                    holder.execute("LOCK TABLE clustering.clusters IN SHARE MODE")
                r = run_cli(*args, url=None if via_env else url)
            monkeypatch.delenv("DATABASE_URL", raising=False)
            outputs.append(r.output)
            assert_no_traceback(r, (0, 1, 2))  # 2: click refused the option's type
    assert any("Error:" in o for o in outputs) and any("load run" in o for o in outputs)
    assert not [o for o in outputs if PASSWORD in o]
    with psycopg.connect(db_url) as c:
        recorded = c.execute(
            "SELECT coalesce(string_agg(t::text, '|'), '') FROM ("
            "SELECT row_to_json(r)::text AS t FROM registry.load_runs r UNION ALL "
            "SELECT row_to_json(r)::text FROM clustering.runs r UNION ALL "
            "SELECT row_to_json(r)::text FROM registry.rejects r) x").fetchone()[0]
        # failures were recorded...
        assert "statement timeout" in recorded and "inactive" in recorded
        assert PASSWORD not in recorded  # ...without the password
