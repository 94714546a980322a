"""Cluster evolution: persistent keys and lineage events between runs, with scripted
changes whose right answer is known."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from points import X0, Y0, blob, insert_points

from helpers import run_cli
from industry_clusters.cluster import run_clustering
from industry_clusters.errors import UserError

EPS, MIN_POINTS = 100, 8


def line(x0: float, x1: float, y: float, step: float = 15) -> list[tuple[float, float]]:
    """Points every ``step`` metres: a bridge dense enough to be core."""
    n = int((x1 - x0) / step) + 1
    return [(x0 + i * step, y) for i in range(n)]


def cluster_near(conn, run: int, x: float, y: float) -> tuple[int, int, int]:
    """(cluster_id, cluster_key, n_members) of the run's cluster nearest to (x, y)."""
    return conn.execute(
        "SELECT cluster_id, cluster_key, n_members FROM clustering.clusters WHERE run_id = %s "
        "ORDER BY centroid <-> ST_SetSRID(ST_MakePoint(%s, %s), 4547) LIMIT 1",
        (run, X0 + x, Y0 + y)).fetchone()


def deactivate(conn, ids) -> None:
    conn.execute("UPDATE registry.enterprises SET active = false, inactive_since = '2024-06-30', "
                 "inactive_reason = 'closed' "
                 "WHERE enterprise_id = ANY(%s)", (list(ids),))
    conn.commit()


@pytest.fixture
def scripted(db_url, conn):
    """Run 1 on the starting layout; scripted changes; run 2. Returns what is needed."""
    rng = random.Random(11)
    ids = {}
    for name, (x, y, n) in {"A": (0, 0, 60), "B": (3000, 0, 60), "C": (6000, 0, 60),
                            "E": (0, 5000, 50), "F": (600, 5000, 50), "H": (9000, 0, 40),
                            "J": (12000, 0, 40), "K": (12000, 5000, 40)}.items():
        ids[name] = insert_points(conn, blob(rng, n, x, y, 80))
    ids["G"] = insert_points(conn, blob(rng, 50, 0, 9000, 80) + blob(rng, 50, 600, 9000, 80))
    ids["bridge"] = insert_points(conn, line(80, 520, 9000))
    run1 = run_clustering(db_url, eps=EPS, min_points=MIN_POINTS).run_id
    before = {k: cluster_near(conn, run1, *xy) for k, xy in {
        "A": (0, 0), "B": (3000, 0), "C": (6000, 0), "E": (0, 5000), "F": (600, 5000),
        "G": (300, 9000), "H": (9000, 0), "J": (12000, 0), "K": (12000, 5000)}.items()}

    insert_points(conn, blob(rng, 30, 3000, 0, 60))              # B grows
    deactivate(conn, ids["C"][:25])                               # C shrinks
    insert_points(conn, line(80, 520, 5000))                      # E and F are joined
    deactivate(conn, ids["bridge"])                               # G is cut in two
    deactivate(conn, ids["H"])                                    # H closes down
    insert_points(conn, blob(rng, 40, 9000, 9000, 80))            # I appears
    conn.execute("UPDATE registry.enterprises SET geom = ST_Transform(ST_Translate(geom_proj, "
                 "30, 0), 4326) WHERE enterprise_id = ANY(%s)", (ids["J"],))  # J moves 30 m
    conn.commit()
    # K: every firm replaced by a new one at the same place (new credit codes)
    spots = conn.execute("SELECT ST_X(geom_proj) - %s, ST_Y(geom_proj) - %s FROM "
                         "registry.enterprises WHERE enterprise_id = ANY(%s)",
                         (X0, Y0, ids["K"])).fetchall()
    deactivate(conn, ids["K"])
    insert_points(conn, spots)
    run2 = run_clustering(db_url, eps=EPS, min_points=MIN_POINTS).run_id
    return run1, run2, before, db_url


def test_scripted_changes_give_the_expected_events(scripted, conn):
    run1, run2, before, _ = scripted
    events = {}
    for key, cid, event, parents, size_before, size_after, shared in conn.execute(
            "SELECT cluster_key, cluster_id, event, parent_keys, size_before, size_after, "
            "shared_members FROM publish.cluster_lineage WHERE run_id = %s", (run2,)):
        events[key] = (cid, event, parents, size_before, size_after, shared)
    key = {k: v[1] for k, v in before.items()}

    def after(x, y):
        return cluster_near(conn, run2, x, y)

    for name, xy, event in (("A", (0, 0), "stable"), ("B", (3000, 0), "grew"),
                            ("C", (6000, 0), "shrank"), ("J", (12030, 0), "stable"),
                            ("K", (12000, 5000), "stable")):
        cid, k, n = after(*xy)
        assert k == key[name], name  # the same cluster keeps its key
        assert events[k][1] == event and events[k][2] == [key[name]], (name, events[k])
        assert events[k][3] == before[name][2] and events[k][4] == n
    assert events[key["K"]][5] == 0  # matched by hull overlap: no member in common
    assert events[key["B"]][4] == 90 and events[key["A"]][5] == 60

    cid, k, n = after(300, 5000)  # E + F + bridge
    assert events[k][1] == "merged" and events[k][2] == sorted([key["E"], key["F"]])
    assert k in (key["E"], key["F"]) and n == 130 and events[k][3] == 100

    g1, g2 = after(0, 9000), after(600, 9000)
    assert g1[0] != g2[0]
    assert {events[g1[1]][1], events[g2[1]][1]} == {"split"}
    assert events[g1[1]][2] == events[g2[1]][2] == [key["G"]]
    assert key["G"] in (g1[1], g2[1]) and g1[1] != g2[1]  # one part keeps the key

    assert events[key["H"]][1:] == (None, "dissolved", [], 40, 0, 0)[1:] and \
        events[key["H"]][0] is None
    cid, k, n = after(9000, 9000)
    assert events[k][1] == "born" and events[k][2] == [] and k not in key.values()

    # every run-2 cluster has exactly one event row, plus the dissolved one
    n2 = conn.execute("SELECT count(*) FROM clustering.clusters WHERE run_id = %s",
                      (run2,)).fetchone()[0]
    assert len(events) == n2 + 1
    # and publish.clusters carries the persistent key
    assert conn.execute("SELECT cluster_key FROM publish.clusters WHERE cluster_id = %s",
                        (after(0, 0)[0],)).fetchone()[0] == key["A"]


def test_first_run_is_all_born_and_unchanged_data_is_all_stable(db_url, conn):
    rng = random.Random(5)
    for x in (0, 2000, 4000):
        insert_points(conn, blob(rng, 40, x, 0, 80))
    r1 = run_clustering(db_url, eps=EPS, min_points=MIN_POINTS).run_id
    r2 = run_clustering(db_url, eps=EPS, min_points=MIN_POINTS).run_id
    rows = conn.execute("SELECT run_id, previous_run_id, event, count(*) FROM "
                        "publish.cluster_lineage GROUP BY 1, 2, 3 ORDER BY 1").fetchall()
    assert rows == [(r1, None, "born", 3), (r2, r1, "stable", 3)]
    keys = conn.execute("SELECT run_id, array_agg(cluster_key ORDER BY label) FROM "
                        "clustering.clusters GROUP BY 1 ORDER BY 1").fetchall()
    assert keys[0][1] == keys[1][1]
    # a run with other parameters is another series: it does not follow r2
    r3 = run_clustering(db_url, eps=EPS * 2, min_points=MIN_POINTS).run_id
    assert conn.execute("SELECT previous_run_id FROM publish.cluster_runs WHERE run_id = %s",
                        (r3,)).fetchone()[0] is None


def test_report_evolution(scripted):
    import json

    run1, run2, before, url = scripted
    r = run_cli("report", "evolution", "--from", str(run1), "--to", str(run2), "--top", "2",
                "--format", "json", url=url)
    assert r.exit_code == 0, r.output
    rep = json.loads(r.output)
    events = {(e["sector"], e["event"]): e["clusters"] for e in rep["evolution_events"]}
    assert events == {("software", "stable"): 3, ("software", "grew"): 1,
                      ("software", "shrank"): 1, ("software", "merged"): 1,
                      ("software", "split"): 2, ("software", "dissolved"): 1,
                      ("software", "born"): 1}
    top = rep["cluster_growth"]
    # the merged cluster, counted against the parent whose key it kept, then B
    assert len(top) == 2 and top[0]["cluster_key"] in (before["E"][1], before["F"][1])
    assert top[0]["growth"] == 80 and top[1]["cluster_key"] == before["B"][1]
    assert top[1]["growth"] == 30 and top[1]["growth_pct"] == 50.0
    change = rep["district_change"]
    assert [(c["clusters_before"], c["clusters_after"]) for c in change] == [(9, 9)]
    r = run_cli("report", "evolution", "--from", str(run2), "--to", str(run1), url=url)
    assert r.exit_code == 1 and "not an earlier run" in r.output


def test_report_sections_come_from_one_snapshot(scripted, monkeypatch):
    """A prune that deletes the later run while the report reads it changes none of its
    sections: they are read from one snapshot."""
    import psycopg

    from industry_clusters import evolution

    run1, run2, _, url = scripted
    before = evolution.evolution_report(url, run1, run2)
    real = evolution.result_table

    def then_the_run_is_pruned(cur):
        out = real(cur)
        with psycopg.connect(url) as other:  # committed on leaving the block
            other.execute("DELETE FROM clustering.runs WHERE run_id = %s", (run2,))
        return out

    monkeypatch.setattr(evolution, "result_table", then_the_run_is_pruned)
    assert evolution.evolution_report(url, run1, run2) == before
    monkeypatch.setattr(evolution, "result_table", real)
    with pytest.raises(UserError):  # the run is gone for a new report
        evolution.evolution_report(url, run1, run2)


def test_snapshots_in_time_chain_by_date(db_url, conn):
    """One registry, clustered as of three dates: the runs chain by as-of date."""
    rng = random.Random(9)
    old = insert_points(conn, blob(rng, 40, 0, 0, 80), established="2019-05-01")
    insert_points(conn, blob(rng, 40, 3000, 0, 80), established="2022-03-01")
    conn.execute("UPDATE registry.enterprises SET active = false, inactive_since = '2023-06-01', "
                 "inactive_reason = 'closed' "
                 "WHERE enterprise_id = ANY(%s)", (old,))
    conn.commit()
    runs = {}
    for year in (2021, 2022, 2023):
        r = run_cli("cluster", "--eps", str(EPS), "--min-points", str(MIN_POINTS), "--as-of",
                    f"{year}-12-31", url=db_url)
        assert r.exit_code == 0, r.output
        runs[year] = conn.execute("SELECT max(run_id) FROM clustering.runs").fetchone()[0]
    rows = conn.execute("SELECT run_id, previous_run_id, event FROM publish.cluster_lineage "
                        "ORDER BY run_id, event").fetchall()
    assert rows == [(runs[2021], None, "born"),
                    (runs[2022], runs[2021], "born"), (runs[2022], runs[2021], "stable"),
                    (runs[2023], runs[2022], "dissolved"), (runs[2023], runs[2022], "stable")]
    r = run_cli("report", "evolution", "--from", str(runs[2021]), "--to", str(runs[2023]),
                "--format", "csv", url=db_url)
    assert r.exit_code == 0 and "dissolved" in r.output, r.output


def test_one_registry_file_rebuilds_past_years(tmp_path, db_url, conn):
    """Firms that closed before the file was first loaded are kept as history, with their
    deregistration date, so as-of snapshots include them while they existed."""
    from industry_clusters.demo.synth import HEADERS
    from registry_files import row, write_csv

    headers = [*HEADERS, "注销日期"]
    closed = [row(登记状态="注销", 成立日期="2018-01-01", 注销日期="2022-06-30")
              for _ in range(35)]
    live = [row(经度="113.200000", 纬度="23.100000", 成立日期="2020-01-01") for _ in range(35)]
    path = write_csv(tmp_path / "r.csv", closed + live, headers=headers)
    r = run_cli("load", str(path), "--crs", "wgs84", url=db_url)
    assert r.exit_code == 0 and "kept as history 35" in r.output, r.output
    read, acc, rej, hist = conn.execute(
        "SELECT rows_read, rows_accepted, rows_rejected, rows_history FROM registry.load_runs"
    ).fetchone()
    assert (read, acc, rej, hist) == (70, 35, 35, 35)  # still rejected, as the study counts
    assert conn.execute("SELECT count(*), min(inactive_since), bool_or(active) FROM "
                        "registry.enterprises WHERE status = '注销'").fetchone() == \
        (35, dt.date(2022, 6, 30), False)
    counts = {}
    for as_of in ("2021-12-31", "2023-12-31"):
        assert run_cli("cluster", "--as-of", as_of, url=db_url).exit_code == 0
        counts[as_of] = conn.execute(
            "SELECT n_points, n_clusters FROM clustering.runs ORDER BY run_id DESC LIMIT 1"
        ).fetchone()
    assert counts == {"2021-12-31": (70, 2), "2023-12-31": (35, 1)}
    # loading the same firms again later changes nothing for the closed ones
    r = run_cli("load", str(path), "--crs", "wgs84", "--force", url=db_url)
    assert r.exit_code == 0 and "kept as history" not in r.output, r.output
