"""The nightly job: steps, idempotence, locking, pruning, loud failure."""

from __future__ import annotations

import csv
import random
import time

import psycopg
import pytest
from points import blob, insert_points

from helpers import assert_one_line_error, run_cli
from industry_clusters.cluster import run_clustering
from industry_clusters.db import LOCKS
from registry_files import row, write_csv


def _cluster_rows(n: int, seed: int = 1) -> list[dict]:
    """n firms in a tight cluster around a point in Chancheng."""
    rng = random.Random(seed)
    return [row(经度=f"{113.114 + rng.uniform(-0.001, 0.001):.6f}",
                纬度=f"{23.030 + rng.uniform(-0.001, 0.001):.6f}") for _ in range(n)]


def _registry(tmp_path, rows=None, name="registry.csv"):
    """A small registry: a cluster of 40 and 10 scattered firms (or the rows given)."""
    rows = rows if rows is not None else _cluster_rows(40) + [
        row(经度=f"{112.9 + i * 0.01:.6f}", 纬度="22.9") for i in range(10)]
    return write_csv(tmp_path / name, rows)


def test_nightly_runs_every_step_and_twice_changes_nothing(tmp_path, db_url, conn):
    closed = row(登记状态="注销")
    path = _registry(tmp_path, _cluster_rows(40) + [closed])
    r = run_cli("nightly", str(path), "--crs", "wgs84", "--export-dir", str(tmp_path / "pub"),
                url=db_url)
    assert r.exit_code == 0, r.output
    lines = r.output.strip().splitlines()
    assert [ln.split(" ")[0] for ln in lines] == ["load", "cluster:", "prune:", "export",
                                                  "export", "nightly:"]
    assert (tmp_path / "pub" / "industry_clusters.gpkg").exists()
    # and the rows the load rejected, beside the layers, for whoever keeps the export
    with open(tmp_path / "pub" / "rejects.csv", encoding="utf-8-sig") as f:
        rejected = list(csv.DictReader(f))
    assert [(x["reject_reason"], x["统一社会信用代码"]) for x in rejected] == [
        ("status_inactive", closed["统一社会信用代码"])]
    before = conn.execute("SELECT cluster_id, n_members FROM publish.clusters").fetchall()
    assert [b[1] for b in before] == [40]
    conn.commit()
    again = run_cli("nightly", str(path), "--crs", "wgs84", url=db_url)
    assert again.exit_code == 0, again.output
    assert "already loaded" in again.output and "publish kept" in again.output
    assert conn.execute("SELECT cluster_id, n_members FROM publish.clusters").fetchall() == before
    assert conn.execute("SELECT count(*) FROM clustering.runs").fetchone()[0] == 1


def test_a_changed_file_reclusters(tmp_path, db_url, conn):
    rows = _cluster_rows(40)
    assert run_cli("nightly", str(_registry(tmp_path, rows)), "--crs", "wgs84",
                   url=db_url).exit_code == 0
    bigger = _registry(tmp_path, rows + _cluster_rows(5, seed=2), "bigger.csv")
    r = run_cli("nightly", str(bigger), "--crs", "wgs84", url=db_url)
    assert r.exit_code == 0, r.output
    assert "publish refreshed" in r.output
    assert conn.execute("SELECT n_members FROM publish.clusters").fetchone()[0] == 45


def test_nightly_reads_the_files_as_load_does(tmp_path, db_url, conn):
    """A city whose export needs --map, --encoding or --format by hand needs them every
    night: nightly takes load's reading options."""
    from registry_files import HEADERS

    headers = ["纳税人识别号" if h == "统一社会信用代码" else h for h in HEADERS]
    rows = [dict(r, 纳税人识别号=r["统一社会信用代码"]) for r in _cluster_rows(40)]
    path = write_csv(tmp_path / "export.txt", rows, headers=headers, encoding="gb18030")
    assert_one_line_error(run_cli("nightly", str(path), "--crs", "wgs84", "--format", "csv",
                                  "--encoding", "gb18030", url=db_url), "credit")
    r = run_cli("nightly", str(path), "--crs", "wgs84", "--format", "csv", "--encoding",
                "gb18030", "--map", "credit_code=纳税人识别号", url=db_url)
    assert r.exit_code == 0, r.output
    assert conn.execute("SELECT n_members FROM publish.clusters").fetchall() == [(40,)]
    assert_one_line_error(run_cli("nightly", str(path), "--crs", "wgs84", "--map", "nom=x",
                                  url=db_url), "unknown field 'nom'")


@pytest.mark.parametrize("manual", [
    ("--sectors", "comms"), ("--tiers", "quantile"), ("--as-of", "2030-01-01"),
    ("--eps", "400")])
def test_a_run_published_by_hand_with_other_parameters_is_replaced(tmp_path, db_url, conn,
                                                                    manual):
    """The nightly job keeps publish only when the published run is what it would run
    itself: every sector, its eps and min points, jenks tiers, the registry as it is now.
    A run an analyst published by hand with other parameters (a sector, a tier method,
    an as-of date, an eps) is replaced even when the registry did not change."""
    path = _registry(tmp_path)
    assert run_cli("nightly", str(path), "--crs", "wgs84", url=db_url).exit_code == 0
    by_hand = run_cli("cluster", *manual, url=db_url)
    assert by_hand.exit_code == 0, by_hand.output
    published = "SELECT clustering.published_run()"
    hand_run = conn.execute(published).fetchone()[0]
    conn.commit()
    r = run_cli("nightly", str(path), "--crs", "wgs84", url=db_url)
    assert r.exit_code == 0, r.output
    assert "already loaded" in r.output and "publish refreshed" in r.output, r.output
    run = conn.execute("SELECT run_id, eps_m, min_points, sector_ids, tier_method, tier_params -> 'params', "
                       "as_of FROM clustering.runs WHERE run_id = clustering.published_run()"
                       ).fetchone()
    assert run[0] > hand_run
    assert run[1:] == (500.0, 30, [1, 2], "jenks", {}, None)
    assert [c[0] for c in conn.execute("SELECT n_members FROM publish.clusters")] == [40]
    conn.commit()
    again = run_cli("nightly", str(path), "--crs", "wgs84", url=db_url)  # now it is
    assert "publish kept" in again.output, again.output


def test_the_parts_of_an_export_are_one_full_refresh(tmp_path, db_url, conn):
    """An export in parts: enterprises absent from every part are marked inactive; a part
    that cannot be read loads nothing, not even the parts before it."""
    rows = _cluster_rows(40)
    gone = row()
    assert run_cli("nightly", str(_registry(tmp_path, rows + [gone])), "--crs", "wgs84",
                   url=db_url).exit_code == 0
    p1 = _registry(tmp_path, rows[:25], "part1.csv")
    p2 = _registry(tmp_path, rows[25:], "part2.csv")
    r = run_cli("nightly", str(p1), str(p2), "--crs", "wgs84", url=db_url)
    assert r.exit_code == 0, r.output
    load = [ln for ln in r.output.splitlines() if ln.startswith("load ")]
    assert len(load) == 1 and "deactivated 1" in load[0], r.output
    assert conn.execute("SELECT credit_code FROM registry.enterprises WHERE NOT active"
                        ).fetchall() == [(gone["统一社会信用代码"],)]
    assert conn.execute("SELECT n_members FROM publish.clusters").fetchall() == [(40,)]
    conn.commit()
    runs = conn.execute("SELECT count(*) FROM registry.load_runs").fetchone()[0]
    changed = _registry(tmp_path, [dict(x, 企业名称="新名") for x in rows[:25]], "part1b.csv")
    broken = tmp_path / "part2b.csv"
    broken.write_bytes(b"")
    r = run_cli("nightly", str(changed), str(broken), "--crs", "wgs84", url=db_url)
    assert_one_line_error(r, "part2b.csv is empty")
    assert conn.execute("SELECT count(*) FROM registry.enterprises WHERE name = '新名'"
                        ).fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM registry.load_runs").fetchone()[0] == runs


def test_second_nightly_at_once_is_refused(tmp_path, db_url):
    with psycopg.connect(db_url, autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", (LOCKS["nightly"],))
        assert_one_line_error(run_cli("nightly", str(_registry(tmp_path)), "--crs", "wgs84",
                                      url=db_url), "another nightly is running")


def test_failure_is_loud_and_publishes_nothing(tmp_path, db_url, conn):
    path = _registry(tmp_path)
    assert run_cli("nightly", str(path), "--crs", "wgs84", url=db_url).exit_code == 0
    before = conn.execute("SELECT cluster_id FROM publish.clusters").fetchall()
    conn.commit()
    truncated = write_csv(tmp_path / "cut.csv", [row()])  # would deactivate almost all
    assert_one_line_error(run_cli("nightly", str(truncated), "--crs", "wgs84", url=db_url),
                          "is the file complete")
    assert conn.execute("SELECT cluster_id FROM publish.clusters").fetchall() == before


def test_what_a_later_step_would_refuse_is_refused_before_the_load(tmp_path, db_url, conn):
    """A bad eps or an export place that cannot be written fails the job at once, in one
    line, before the load: no night left half done (loaded and published, not exported)."""
    path = _registry(tmp_path)
    (tmp_path / "afile").write_text("")
    (tmp_path / "pub" / "industry_clusters.gpkg").mkdir(parents=True)
    for args, fragment in ((["--eps", "nan"], "eps must be a positive distance in metres"),
                           (["--min-points", "0"], "min points must be at least 1"),
                           (["--export-dir", str(tmp_path / "afile" / "sub")],
                            "afile is a file, not a directory"),
                           (["--export-dir", str(tmp_path / "pub")],
                            "industry_clusters.gpkg: it is a directory")):
        assert_one_line_error(run_cli("nightly", str(path), "--crs", "wgs84", *args,
                                      url=db_url), fragment)
        assert conn.execute("SELECT count(*) FROM registry.load_runs").fetchone()[0] == 0


def test_prune_keeps_the_published_run(db_url, conn):
    rng = random.Random(2)
    insert_points(conn, blob(rng, 40, 0, 0, 150))
    runs = [run_clustering(db_url).run_id for _ in range(4)]
    assert conn.execute("SELECT clustering.prune_runs(2)").fetchone()[0] == 2
    conn.commit()
    left = [r[0] for r in conn.execute("SELECT run_id FROM clustering.runs ORDER BY run_id")]
    assert left == runs[2:]
    assert conn.execute("SELECT clustering.published_run()").fetchone()[0] == runs[-1]
    # members go with their runs; their emptied partitions go at the next prune
    members = conn.execute("SELECT DISTINCT run_id FROM clustering.members ORDER BY 1").fetchall()
    assert [r[0] for r in members] == runs[2:]
    assert partitions(conn) == sorted(f"members_{r}" for r in runs)
    assert conn.execute("SELECT clustering.prune_runs(2)").fetchone()[0] == 0
    conn.commit()
    assert partitions(conn) == sorted(f"members_{r}" for r in runs[2:])
    with pytest.raises(psycopg.errors.InvalidParameterValue):
        conn.execute("SELECT clustering.prune_runs(0)")


def partitions(conn) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = 'clustering.members'::regclass ORDER BY 1")]


def test_only_the_newest_loads_keep_their_rejected_rows(tmp_path, db_url, conn):
    """Every night's load of a changed export records its rejects again; nothing pruned
    them, and registry.rejects grew without bound. The newest --keep-rejects loads keep
    their rows; an older load keeps its counts and says when its rows went."""
    cluster = _cluster_rows(40)
    for night in range(1, 5):  # each night a changed export with night + 1 bad rows
        bad = [row(统一社会信用代码=f"BAD{night}{i}") for i in range(night + 1)]
        path = _registry(tmp_path, cluster + _cluster_rows(night, seed=night) + bad,
                         f"night{night}.csv")
        r = run_cli("nightly", str(path), "--crs", "wgs84", "--keep-rejects", "2", url=db_url)
        assert r.exit_code == 0, r.output
        if night == 2:  # boundaries, and a load that failed, do not count as nights
            boundaries = tmp_path / "districts.geojson"
            boundaries.write_text(
                '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties":'
                ' {"name": "禅城区", "adcode": "440604"}, "geometry": {"type": "Polygon",'
                ' "coordinates": [[[113, 22.9], [113.3, 22.9], [113.3, 23.2], [113, 22.9]]]}}]}',
                encoding="utf-8")
            assert run_cli("load-districts", str(boundaries), "--crs", "wgs84",
                           url=db_url).exit_code == 0
            # a full refresh that would close most firms: refused, its run failed
            few = _registry(tmp_path, [row()], "few.csv")
            assert run_cli("load", str(few), "--crs", "wgs84", url=db_url).exit_code == 1
    kept = conn.execute(
        "SELECT l.kind, l.status, l.rows_rejected, l.rejects_pruned_at IS NOT NULL,"
        " (SELECT count(*) FROM registry.rejects j WHERE j.load_run_id = l.load_run_id)"
        " FROM registry.load_runs l ORDER BY l.load_run_id").fetchall()
    prune_line = next(ln for ln in r.output.splitlines() if ln.startswith("prune:"))
    assert "rejected rows of 1 older loads deleted (3 rows; the newest 2 loads keep theirs)" \
        in prune_line, prune_line
    # the district load and the failed load are not marked; nights 1 and 2 lost their
    # rows, with their counts kept
    assert kept == [("enterprises", "succeeded", 2, True, 0),
                    ("enterprises", "succeeded", 3, True, 0),
                    ("districts", "succeeded", 0, False, 0),
                    ("enterprises", "failed", None, False, 0),
                    ("enterprises", "succeeded", 4, False, 4),
                    ("enterprises", "succeeded", 5, False, 5)]
    # fewer succeeded loads than kept: nothing; a keep below 1 is refused
    assert conn.execute("SELECT * FROM registry.prune_rejects(5)").fetchone() == (0, 0)
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="at least 1 load"):
        conn.execute("SELECT registry.prune_rejects(0)")
    conn.rollback()
    r = run_cli("nightly", "x.csv", "--crs", "wgs84", "--keep-rejects", "0", url=db_url)
    assert r.exit_code == 2 and "Invalid value for '--keep-rejects'" in r.output, r.output


def test_prune_keeps_what_an_open_snapshot_reads(db_url, conn):
    """An export or report reading an old run in one snapshot still sees its members
    after a prune deleted the run, and a prune never waits long for such a reader: the
    emptied partition is dropped by a later prune, once nobody reads the table."""
    insert_points(conn, blob(random.Random(2), 40, 0, 0, 150))
    conn.commit()
    runs = [run_clustering(db_url).run_id for _ in range(3)]
    old = runs[0]
    with psycopg.connect(db_url) as reader:
        reader.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        count = "SELECT count(*) FROM clustering.members WHERE run_id = %s"
        seen = reader.execute(count, (old,)).fetchone()[0]
        assert seen > 0
        assert conn.execute("SELECT clustering.prune_runs(1)").fetchone()[0] == 2
        conn.commit()
        assert reader.execute(count, (old,)).fetchone()[0] == seen  # its snapshot
        t = time.monotonic()
        assert conn.execute("SELECT clustering.prune_runs(1)").fetchone()[0] == 0
        conn.commit()
        assert time.monotonic() - t < 10  # gave up waiting (lock_timeout 2 s)
        assert f"members_{old}" in partitions(conn)  # the reader holds the table
        assert reader.execute(count, (old,)).fetchone()[0] == seen
    conn.execute("SELECT clustering.prune_runs(1)")
    conn.commit()
    assert partitions(conn) == [f"members_{runs[-1]}"]


def test_nightly_says_what_it_waits_for(tmp_path, db_url):
    """A clustering run outside the job holds the registry: the nightly job's load waits
    for it, says so on stderr (cron mails or journald keeps it), then does every step."""
    import subprocess
    import sys
    import time

    path = _registry(tmp_path)
    with psycopg.connect(db_url) as run, psycopg.connect(db_url, autocommit=True) as watch:
        assert run.execute("SELECT registry.hold_enterprises('cluster')").fetchone()[0]
        job = subprocess.Popen(
            [sys.executable, "-m", "industry_clusters", "--database-url", db_url, "nightly",
             str(path), "--crs", "wgs84"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True)
        try:
            deadline = time.monotonic() + 60
            while not watch.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND application_name = 'industry-clusters'").fetchone()[0]:
                assert job.poll() is None and time.monotonic() < deadline, "it did not wait"
                time.sleep(0.05)
            run.rollback()
            out, err = job.communicate(timeout=120)
        finally:
            job.kill()
    assert job.returncode == 0, err
    assert err.strip() == ("waiting for a clustering run to finish (it holds "
                           "registry.enterprises) ...")
    assert [ln.split(" ")[0] for ln in out.strip().splitlines()] == \
        ["load", "cluster:", "prune:", "nightly:"]
