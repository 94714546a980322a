"""Upgrades from earlier revisions: a database made and used by the code of an earlier
revision (taken from git history) upgrades to the newest and goes on working.

Every revision runs the current ``sql/`` files, so an upgrade from several revisions
back ran files that name what only later revisions create: from 0057 it failed on
clustering.run_profiles, from 0034 on clustering.published, from 0026 on
clustering.in_point_set, and from the first revisions on their plain views and
unpartitioned members. A test database migrated from nothing never shows that, since
its first revision already runs the current files: hence databases made by old code.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

import psycopg
import pytest
from test_cluster import expected_tier_structure, tier_structure
from test_qgis_and_analysts import GEOMETRY_TYPES, qgis_default_style

from helpers import run_cli
from industry_clusters.cluster import run_clustering
from industry_clusters.db import migrate

REPO = Path(__file__).resolve().parents[1]

# 0002: the loader, before clustering; 0008: plain views, members in one table;
# 0034: before clustering.published; 0057: before the cluster profiles.
REVISIONS = ["0002", "0008", "0034", "0057"]


def _git(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, check=False)


def old_code(revision: str, into: Path) -> Path:
    """The tree of the commit that added a revision, extracted into a folder."""
    if shutil.which("git") is None or _git("rev-parse", "--git-dir").returncode != 0:
        pytest.skip("not a git checkout: the code of earlier revisions comes from its history")
    [path] = (REPO / "migrations" / "versions").glob(f"{revision}_*.py")
    log = _git("log", "--format=%H", "--diff-filter=A", "--", str(path.relative_to(REPO)))
    commits = log.stdout.decode().split()
    if not commits:
        pytest.skip(f"the history holding revision {revision} is not in this clone (shallow?)")
    styles = ["qgis"] if revision >= "0004" else []  # the QML came with revision 0004
    archive = _git("archive", "--format=tar", commits[-1], "industry_clusters", "sql",
                   "migrations", *styles)
    assert archive.returncode == 0, archive.stderr.decode()
    with tarfile.open(fileobj=BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")
    return into


def run_old(code: Path, url: str, *args: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(code), "DATABASE_URL": url}
    env.pop("INDUSTRY_CLUSTERS_DATABASE_URL", None)
    r = subprocess.run([sys.executable, "-m", "industry_clusters", *args], cwd=code, env=env,
                       capture_output=True, text=True, timeout=600, check=False)
    assert r.returncode == 0, f"{args}: {r.stdout}{r.stderr}"


@pytest.fixture(scope="module")
def registry_file() -> Path:
    out = Path(tempfile.mkdtemp(prefix="ic_upgrade_"))
    r = run_cli("demo", "generate", "--out", str(out), "--scale", "0.03")
    assert r.exit_code == 0, r.output
    yield next(out.glob("*_x0.03.csv"))
    shutil.rmtree(out)


def groups(conn, run_id: int) -> set[frozenset[int]]:
    """A run's clusters as sets of enterprises (cluster ids and labels aside)."""
    rows = conn.execute("SELECT array_agg(enterprise_id) FROM clustering.members "
                        "WHERE run_id = %s GROUP BY cluster_id", (run_id,)).fetchall()
    return {frozenset(r[0]) for r in rows}


@pytest.mark.parametrize("revision", REVISIONS)
def test_a_database_of_an_earlier_revision_upgrades(empty_db_url, registry_file, revision,
                                                     tmp_path):
    code = old_code(revision, tmp_path / "old")
    run_old(code, empty_db_url, "db", "init")
    run_old(code, empty_db_url, "load", str(registry_file), "--crs", "gcj02")
    clustered = revision >= "0003"  # clustering came with revision 0003
    if clustered:
        run_old(code, empty_db_url, "cluster")
    styled = revision >= "0004"  # the QGIS styles came with revision 0004
    if styled:
        run_old(code, empty_db_url, "qgis", "install-styles")
    with psycopg.connect(empty_db_url) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] == revision
        loaded = conn.execute("SELECT count(*) FROM registry.enterprises").fetchone()[0]
        inactive = conn.execute("SELECT count(*) FROM registry.enterprises WHERE NOT active"
                                ).fetchone()[0]
        old_run = conn.execute("SELECT max(run_id) FROM clustering.runs").fetchone()[0]
        before = groups(conn, old_run) if clustered else set()
        # the old code's styles, which QGIS did not find (type 'Vector')
        styled = [r[0] for r in conn.execute(
            "SELECT f_table_name FROM public.layer_styles")] if styled else []
        assert (styled or revision < "0004") and not [
            t for t in styled if qgis_default_style(conn, t, GEOMETRY_TYPES[t])]
    assert loaded > 1000 and (len(before) >= 5 or not clustered)

    migrate.upgrade(empty_db_url)
    assert migrate.status(empty_db_url).up_to_date
    with psycopg.connect(empty_db_url) as conn:
        assert conn.execute("SELECT count(*) FROM registry.enterprises").fetchone()[0] == loaded
        # the firms the old code kept as closed (history) are closed (revision 0109)
        assert conn.execute("SELECT count(*) FILTER (WHERE inactive_reason = 'closed'), "
                            "count(inactive_reason) FROM registry.enterprises").fetchone() \
            == (inactive, inactive)
        if clustered:  # the old run is kept, members and all, with profiles now
            assert groups(conn, old_run) == before
            assert tier_structure(conn, f"publish.tier_structure_of({old_run})") \
                == expected_tier_structure(conn, old_run)
        for table in styled:  # QGIS finds them now (revision 0067)
            assert qgis_default_style(conn, table, GEOMETRY_TYPES[table]) is not None, table
    # and the newest code goes on: it clusters the same registry the same way
    new_run = run_clustering(empty_db_url).run_id
    with psycopg.connect(empty_db_url) as conn:
        if clustered:
            assert groups(conn, new_run) == before
        assert conn.execute("SELECT count(*) FROM publish.clusters WHERE run_id = %s",
                            (new_run,)).fetchone()[0] == len(groups(conn, new_run)) >= 5
